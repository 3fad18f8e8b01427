import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BACKUP_FORMAT, type BackupCounts } from '../../../shared/backup';
import { SwitchyardError } from '../../../shared/errors';

/**
 * The backup file, format 1 (README "Backup and restore" describes it for people):
 *
 *   SWITCHYARD BACKUP\n          magic line
 *   {header JSON}\n              one line: format, when, by whom, counts, encryption
 *   body                         `bodyLength` bytes: the payload's JSON (UTF-8), AES-256-GCM
 *                                ciphertext of it when a passphrase was given
 *   trailer                      16 bytes: the GCM tag (encrypted), or 32 bytes: SHA-256 of
 *                                everything before it (plain)
 *
 * Encrypted, the magic line and header are the GCM's associated data, so the tag authenticates
 * every byte of the file under the passphrase. Plain files hold no secret and carry a checksum:
 * it catches any damage (a byte changed, a file cut short), not a forger, who needs no key to
 * write a new one; only a passphrase makes a file tamper-proof.
 */
export const BACKUP_MAGIC = 'SWITCHYARD BACKUP\n';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
/** About half a second and 128 MiB per attempt on a laptop: slow to guess, quick to type once. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** What a file may ask for (its header is read before it can be checked): no more than 256 MiB. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DIGEST_BYTES = 32;
const CHECK_BYTES = 16;
/** The HMAC input of the passphrase check: tells a wrong passphrase from a damaged file. */
const CHECK_LABEL = 'switchyard backup passphrase check';
/** The largest file read: a data folder's backup is kilobytes to a few megabytes. */
export const MAX_BACKUP_BYTES = 256 * 1024 * 1024;

const b64 = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .refine((v) => Buffer.from(v, 'base64').length === bytes);

const count = () => z.number().int().min(0);

export const Counts = z
  .object({
    environments: count(),
    hosts: count(),
    registries: count(),
    releases: count(),
    configs: count(),
    acmeAccounts: count(),
    certificates: count(),
    secrets: count(),
  })
  .strict();

const Encryption = z
  .object({
    cipher: z.literal('aes-256-gcm'),
    kdf: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of 2'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: b64(SALT_BYTES),
    nonce: b64(NONCE_BYTES),
    /** HMAC-SHA256(second half of the scrypt output, CHECK_LABEL), first 16 bytes. */
    check: b64(CHECK_BYTES),
  })
  .strict()
  .refine((e) => 128 * e.N * e.r <= MAX_SCRYPT_MEMORY, 'asks for too much memory');

export const BackupHeader = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    createdAt: z.string(),
    /** The Switchyard version that wrote it. */
    app: z.string(),
    from: z.object({ installation: z.string(), by: z.string() }).strict(),
    counts: Counts,
    encryption: Encryption.nullable(),
    bodyLength: z.number().int().min(0),
  })
  .strict();
export type BackupHeader = z.infer<typeof BackupHeader>;

export type HeaderFields = Omit<BackupHeader, 'format' | 'encryption' | 'bodyLength' | 'counts'> & { counts: BackupCounts };

/** The passphrase as bytes: NFC, so the same words typed on two systems give the same key. */
const passphraseBytes = (p: string) => Buffer.from(p.normalize('NFC'), 'utf8');

function deriveKeys(passphrase: string, salt: Buffer, params: ScryptParams): Promise<{ key: Buffer; check: Buffer }> {
  return new Promise((resolve, reject) => {
    const maxmem = 128 * params.N * params.r + 128 * params.r * params.p + 1024 * 1024;
    scrypt(passphraseBytes(passphrase), salt, 64, { N: params.N, r: params.r, p: params.p, maxmem }, (err, out) => {
      if (err) return reject(err);
      resolve({
        key: out.subarray(0, 32),
        check: createHmac('sha256', out.subarray(32)).update(CHECK_LABEL).digest().subarray(0, CHECK_BYTES),
      });
    });
  });
}

const headerBytes = (header: BackupHeader) => Buffer.from(`${BACKUP_MAGIC}${JSON.stringify(header)}\n`, 'utf8');

/** The whole file for `payload`: encrypted and authenticated under `passphrase`, or plain with a checksum. */
export async function encodeBackup(payload: unknown, fields: HeaderFields, passphrase?: string, kdf: ScryptParams = DEFAULT_SCRYPT): Promise<Buffer> {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  if (passphrase === undefined) {
    const head = headerBytes({ format: BACKUP_FORMAT, ...fields, encryption: null, bodyLength: body.length });
    const digest = createHash('sha256').update(head).update(body).digest();
    return Buffer.concat([head, body, digest]);
  }
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const { key, check } = await deriveKeys(passphrase, salt, kdf);
  const encryption = {
    cipher: 'aes-256-gcm' as const,
    kdf: 'scrypt' as const,
    ...kdf,
    salt: salt.toString('base64'),
    nonce: nonce.toString('base64'),
    check: check.toString('base64'),
  };
  // GCM's ciphertext is as long as its plaintext: the length is known before encrypting.
  const head = headerBytes({ format: BACKUP_FORMAT, ...fields, encryption, bodyLength: body.length });
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(head);
  const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([head, sealed, cipher.getAuthTag()]);
}

/** The header of a file that looks like a backup, before anything is checked; refusals name `file`. */
export function readHeader(bytes: Buffer, file: string): { header: BackupHeader; headEnd: number } {
  const magic = Buffer.from(BACKUP_MAGIC, 'utf8');
  if (bytes.length < magic.length) {
    // A file cut short inside the magic line is a damaged backup; anything else is not one.
    if (bytes.length > 0 && magic.subarray(0, bytes.length).equals(bytes)) throw damaged(file);
    throw SwitchyardError.because('VALIDATION', 'backupNotBackup', { file }, { field: 'file' });
  }
  if (!bytes.subarray(0, magic.length).equals(magic)) throw SwitchyardError.because('VALIDATION', 'backupNotBackup', { file }, { field: 'file' });
  const newline = bytes.indexOf(0x0a, magic.length);
  if (newline < 0) throw damaged(file);
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(magic.length, newline).toString('utf8'));
  } catch {
    throw damaged(file);
  }
  const format = (json as { format?: unknown } | null)?.format;
  // Checked before the rest: a newer format may have a header this version cannot read.
  if (typeof format === 'number' && Number.isInteger(format) && format > BACKUP_FORMAT) {
    throw SwitchyardError.because('STORE_TOO_NEW', 'backupFormat', { file, format, supported: BACKUP_FORMAT }, { field: 'file' });
  }
  const parsed = BackupHeader.safeParse(json);
  if (!parsed.success) throw damaged(file);
  return { header: parsed.data, headEnd: newline + 1 };
}

/**
 * The payload's JSON text, once every byte of the file checked out: a damaged or tampered
 * file, a wrong or missing passphrase, and a newer format are refused, each naming its field.
 */
export async function decodeBackup(bytes: Buffer, file: string, passphrase?: string): Promise<{ header: BackupHeader; text: string }> {
  const { header, headEnd } = readHeader(bytes, file);
  const enc = header.encryption;
  const trailer = enc ? TAG_BYTES : DIGEST_BYTES;
  if (bytes.length !== headEnd + header.bodyLength + trailer) throw damaged(file);
  const head = bytes.subarray(0, headEnd);
  const body = bytes.subarray(headEnd, headEnd + header.bodyLength);
  const tail = bytes.subarray(headEnd + header.bodyLength);
  if (!enc) {
    const digest = createHash('sha256').update(head).update(body).digest();
    if (!timingSafeEqual(digest, tail)) throw damaged(file);
    return { header, text: body.toString('utf8') };
  }
  if (passphrase === undefined || passphrase === '') throw SwitchyardError.because('VALIDATION', 'backupPassphraseNeeded', { file }, { field: 'passphrase' });
  const { key, check } = await deriveKeys(passphrase, Buffer.from(enc.salt, 'base64'), enc);
  if (!timingSafeEqual(check, Buffer.from(enc.check, 'base64'))) throw SwitchyardError.because('VALIDATION', 'backupWrongPassphrase', { file }, { field: 'passphrase' });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(enc.nonce, 'base64'));
  decipher.setAAD(head);
  decipher.setAuthTag(tail);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw damaged(file);
  }
  return { header, text: plain.toString('utf8') };
}

function damaged(file: string): SwitchyardError {
  return SwitchyardError.because('VALIDATION', 'backupDamaged', { file }, { field: 'file' });
}
