/**
 * The environment a request is about: `environment`, the key every request that names one
 * uses. The requests about the environment itself (`environments:*`, exports) took `name`
 * before; it is still accepted for `environment`, and problems with it are said on `environment`.
 */
import { z } from 'zod';
import { name } from './model';

/** Without other fields, the request is the environment alone (zod would say `Record<string, never>`). */
type Out<S extends z.ZodRawShape> = [keyof S] extends [never] ? unknown : z.output<z.ZodObject<S>>;
type In<S extends z.ZodRawShape> = [keyof S] extends [never] ? unknown : z.input<z.ZodObject<S>>;
type Flat<T> = { [K in keyof T]: T[K] };
type EnvironmentRequest<S extends z.ZodRawShape> = z.ZodType<Flat<Out<S> & { environment: string }>, Flat<In<S> & { environment: string }>>;

/**
 * A request naming its environment, with `fields` beside it. Typed callers write `environment`;
 * a request that arrives as JSON (a script, `switchyard call`) may still say `name`.
 */
export function environmentRequest<S extends z.ZodRawShape>(fields: S): EnvironmentRequest<S> {
  type Ref = { environment?: string; name?: string };
  const schema = z
    .object({ environment: name().optional(), /** Older spelling of `environment`. */ name: name().optional(), ...fields })
    .strict()
    .superRefine((value, ctx) => {
      const v = value as Ref;
      if (v.environment === undefined && v.name === undefined) ctx.addIssue({ code: 'custom', path: ['environment'], message: 'must be text' });
      else if (v.environment !== undefined && v.name !== undefined && v.environment !== v.name) {
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'names another environment than `environment`: give only `environment`' });
      }
    })
    .transform((value) => {
      const { name: alias, environment, ...rest } = value as Ref & Record<string, unknown>;
      return { ...rest, environment: (environment ?? alias) as string } as Out<S> & { environment: string };
    });
  return schema as unknown as EnvironmentRequest<S>;
}
