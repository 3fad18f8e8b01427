import type { LocalImage } from '../../shared/contract';

/** One line of an image field's suggestions: a local image, or what the field holds when the host lacks it. */
export interface ImageSuggestion {
  ref: string;
  /** Bytes, for a local image. */
  size?: number;
  local: boolean;
}

/** A longer list is not read but searched: typing narrows it. */
export const MAX_SUGGESTIONS = 50;

/**
 * What an image field offers from the host's images (newest first). Before the user types, all
 * of them, what the field holds first: Enter then keeps it rather than taking the newest image.
 * Once they type, those whose reference contains the text. Images containing `prefer` come first.
 */
export function imageSuggestions(images: readonly LocalImage[], value: string, typed: boolean, prefer?: string): ImageSuggestion[] {
  const current = value.trim();
  const needle = typed ? current.toLowerCase() : '';
  const matching = images.filter((i) => i.ref.toLowerCase().includes(needle));
  const preferred = prefer ? matching.filter((i) => i.ref.toLowerCase().includes(prefer)) : [];
  const ranked = [...preferred, ...matching.filter((i) => !preferred.includes(i))];
  const own = ranked.find((i) => i.ref === current);
  // Only the value already there: nothing to offer.
  if (typed && ranked.length === 1 && own) return [];
  const rest = ranked.filter((i) => i !== own).map((i) => ({ ref: i.ref, size: i.size, local: true }));
  if (own) return [{ ref: own.ref, size: own.size, local: true }, ...rest].slice(0, MAX_SUGGESTIONS);
  // The host has images, but not this one: said so at the top, where Enter would pick it.
  if (!typed && current && rest.length) return [{ ref: current, local: false }, ...rest].slice(0, MAX_SUGGESTIONS);
  return rest.slice(0, MAX_SUGGESTIONS);
}
