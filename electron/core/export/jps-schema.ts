/**
 * What Cloud Scripting documents of a JPS manifest, for the parts an export writes: the keys
 * it requires and the types it gives each key (Virtuozzo's "Basic Configs" and "Visual
 * Settings" pages). An exported manifest must pass it: a key misspelt or of the wrong type
 * would be ignored or refused by the platform only at install time.
 */
import { z } from 'zod';

/** Text, or a text per language (`{ en: …, fr: … }`), as captions and descriptions may be. */
const Localized = z.union([z.string(), z.record(z.string(), z.string())]);

/** Settings form field types the documentation lists. */
export const jpsFieldTypes = [
  'string',
  'text',
  'list',
  'checkbox',
  'radiolist',
  'radio-fieldset',
  'dockertags',
  'compositefield',
  'slider',
  'envlist',
  'regionlist',
  'popupselector',
  'popup-selector',
  'displayfield',
  'spacer',
  'spinner',
  'numberpicker',
  'number-picker',
  'hostpicker',
  'host-picker',
  'toggle',
] as const;

export const JpsField = z
  .object({
    /** Read back as `${settings.<name>}`. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a name a placeholder can read'),
    type: z.enum(jpsFieldTypes).optional(),
    inputType: z.string().optional(),
    caption: Localized.optional(),
    placeholder: Localized.optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    required: z.boolean().optional(),
    vtype: z.enum(['alpha', 'alphanum', 'email', 'URL']).optional(),
    vtypeText: Localized.optional(),
    regex: z.string().optional(),
    regexText: Localized.optional(),
    hideLabel: z.boolean().optional(),
    tooltip: Localized.optional(),
  })
  .strict();

const VolumeMount = z.union([
  z.string(),
  z
    .object({
      sourcePath: z.string().optional(),
      sourceNodeId: z.number().int().optional(),
      sourceNodeGroup: z.string().optional(),
      sourceHost: z.string().optional(),
      readOnly: z.boolean().optional(),
    })
    .strict(),
]);

export const JpsNode = z
  .object({
    /** A platform stack; Docker nodes give `image` instead. */
    nodeType: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    nodeGroup: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a layer name: letters, digits and _')
      .optional(),
    displayName: z.string().optional(),
    count: z.number().int().min(1).optional(),
    cloudlets: z.number().int().min(0).optional(),
    fixedCloudlets: z.number().int().min(0).optional(),
    flexibleCloudlets: z.number().int().min(0).optional(),
    extip: z.boolean().optional(),
    tag: z.string().optional(),
    links: z.array(z.string()).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
    volumes: z.array(z.string().startsWith('/')).optional(),
    volumeMounts: z.record(z.string().startsWith('/'), VolumeMount).optional(),
    volumesFrom: z.array(z.union([z.string(), z.number()])).optional(),
    cmd: z.string().optional(),
    entrypoint: z.string().optional(),
  })
  .strict()
  .refine((n) => n.nodeType !== undefined || n.image !== undefined, { message: 'needs a nodeType or a Docker image' });

/** An action, a list of them, or the name of a custom one. */
const Actions = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.union([z.string(), z.record(z.string(), z.unknown())]))]);

export const JpsManifest = z
  .object({
    type: z.enum(['install', 'update']).optional(),
    version: z.string().optional(),
    /** The one key the documentation marks required. */
    name: z.string().min(1),
    displayName: z.string().optional(),
    logo: z.string().optional(),
    description: Localized.optional(),
    homepage: z.string().optional(),
    categories: z.array(z.string()).optional(),
    baseUrl: z.string().optional(),
    settings: z
      .object({ fields: z.array(JpsField), prepopulate: z.string().optional() })
      .strict()
      .optional(),
    nodes: z.array(JpsNode).optional(),
    engine: z.string().optional(),
    region: z.string().optional(),
    ssl: z.boolean().optional(),
    ha: z.boolean().optional(),
    appVersion: z.string().optional(),
    globals: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    onInstall: Actions.optional(),
    startPage: z.string().optional(),
    /** Custom actions by name. */
    actions: z.record(z.string(), Actions).optional(),
    success: Localized.optional(),
  })
  .strict()
  // An install creates an environment: it has to say of which nodes.
  .refine((m) => m.type !== 'install' || (m.nodes?.length ?? 0) > 0, { message: 'an install manifest needs nodes', path: ['nodes'] });

export type JpsManifest = z.infer<typeof JpsManifest>;
export type JpsNode = z.infer<typeof JpsNode>;
export type JpsField = z.infer<typeof JpsField>;
