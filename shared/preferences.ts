/**
 * What the user chose for this installation as a whole, kept in the data file so every process
 * on it (the app's main process, its windows, `serve`, the CLI) reads the same: which desktop
 * notifications to show, and in which language. The window's theme stays in the window.
 */
import { z } from 'zod';

export const notificationKinds = ['backends', 'certificates'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const preferenceLocales = ['en', 'fr'] as const;
export type PreferenceLocale = (typeof preferenceLocales)[number];

export const Preferences = z
  .object({
    notifications: z
      .object({
        /** A server goes DOWN, or an environment has no server left. */
        backends: z.boolean().default(true),
        /** A certificate expires, nears its end, or fails to renew. */
        certificates: z.boolean().default(true),
      })
      .strict()
      .default({ backends: true, certificates: true }),
    /** The window's language, so notifications speak it too; absent: the system's. */
    locale: z.enum(preferenceLocales).optional(),
  })
  .strict();
export type Preferences = z.infer<typeof Preferences>;

export const defaultPreferences = (): Preferences => Preferences.parse({});

/** A change to some preferences; what it leaves out stays as it is. */
export const PreferencesPatch = z
  .object({
    notifications: z
      .object({ backends: z.boolean({ error: 'must be true or false' }).optional(), certificates: z.boolean({ error: 'must be true or false' }).optional() })
      .strict()
      .optional(),
    locale: z.enum(preferenceLocales, { error: `must be one of ${preferenceLocales.join(', ')}` }).optional(),
  })
  .strict();
export type PreferencesPatch = z.input<typeof PreferencesPatch>;

/** `prefs` with `patch` applied (a new object). */
export function applyPreferences(prefs: Preferences, patch: z.output<typeof PreferencesPatch>): Preferences {
  return {
    ...prefs,
    ...(patch.locale === undefined ? {} : { locale: patch.locale }),
    notifications: { ...prefs.notifications, ...Object.fromEntries(Object.entries(patch.notifications ?? {}).filter(([, v]) => v !== undefined)) },
  };
}
