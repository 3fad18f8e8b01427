/** An image a host's engine has. */
export interface LocalImage {
  ref: string;
  /** Bytes. */
  size: number;
  created: string;
}
