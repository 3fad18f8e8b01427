import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as acme from 'acme-client';
import { acmeLibrary } from './library';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import type { ResolvedDirectory } from './directory';
import { caError } from './errors';

/** Seals secrets so the data folder never holds them in clear (safeStorage in the app). */
export interface SecretBox {
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

export const ACCOUNTS_FILE = 'acme-accounts.json';

export const AccountRecord = z.object({
  directoryUrl: z.string(),
  email: z.string(),
  accountUrl: z.string(),
  /** The account's private key (PEM), sealed by the SecretBox. */
  sealedKey: z.string(),
  /** The terms the user agreed to, as the directory named them then. */
  termsOfService: z.string().nullable(),
  termsAcceptedAt: z.string(),
});
export type AccountRecord = z.infer<typeof AccountRecord>;

export const AccountsFile = z.object({ version: z.literal(1), accounts: z.array(AccountRecord) });
export type AccountsFile = z.infer<typeof AccountsFile>;

export interface AccountRequest {
  directory: ResolvedDirectory;
  email: string;
  /** Must be true: the CA's terms are agreed to explicitly, never by default. */
  termsAccepted: boolean;
}

export interface ClientOptions {
  /** How long to poll a pending challenge or order (ms between polls doubles from min to max). */
  poll?: { attempts: number; minMs: number; maxMs: number };
}

/**
 * ACME accounts, one per (directory URL, email). Registering again for every order would
 * pile up accounts at the CA and lose the link to issued certificates, so the key is kept,
 * sealed, in the data folder.
 */
export class AcmeAccounts {
  private readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    file: string,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = file;
  }

  /** A client signed in with the account for this directory and email, registering it first if needed. */
  client(req: AccountRequest, opts: ClientOptions = {}): Promise<acme.Client> {
    // One at a time: two first orders at once would otherwise register two accounts.
    const run = this.queue.then(() => this.clientNow(req, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The stored record, without its key. */
  async find(directoryUrl: string, email: string): Promise<Omit<AccountRecord, 'sealedKey'> | undefined> {
    const rec = (await this.read()).accounts.find((a) => a.directoryUrl === directoryUrl && a.email === email);
    if (!rec) return undefined;
    const { sealedKey: _sealed, ...rest } = rec;
    return rest;
  }

  private async clientNow(req: AccountRequest, opts: ClientOptions): Promise<acme.Client> {
    if (req.termsAccepted !== true) {
      throw new SwitchyardError('VALIDATION', `https.termsAccepted: the terms of service of ${req.directory.label} must be accepted before an account is created`, {
        field: 'https.termsAccepted',
      });
    }
    // The first looks come soon (a CA often validates in well under a second), then further
    // apart: 0.25, 0.5, 1, 2, 4, 8, then 10 s, about as long in all as 1 s doubling over 10 tries.
    const poll = opts.poll ?? { attempts: 12, minMs: 250, maxMs: 10_000 };
    const lib = await acmeLibrary();
    const make = (accountKey: string, accountUrl?: string) =>
      new lib.Client({ directoryUrl: req.directory.url, accountKey, accountUrl, backoffAttempts: poll.attempts, backoffMin: poll.minMs, backoffMax: poll.maxMs });

    const data = await this.read();
    const existing = data.accounts.find((a) => a.directoryUrl === req.directory.url && a.email === req.email);
    if (existing) {
      let key: string;
      try {
        key = await this.box.open(existing.sealedKey);
      } catch (err) {
        throw new SwitchyardError('STORE_CORRUPT', `The ACME account key for ${req.email} at ${req.directory.label} cannot be unsealed: ${(err as Error).message}`, { cause: err });
      }
      return make(key, existing.accountUrl);
    }

    const key = (await lib.crypto.createPrivateEcdsaKey('P-256')).toString();
    const client = make(key);
    let termsOfService: string | null = null;
    try {
      termsOfService = (await client.getTermsOfServiceUrl()) ?? null;
      await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${req.email}`] });
    } catch (err) {
      throw caError(req.directory, msg('ca.account', { email: req.email }), err);
    }
    const record: AccountRecord = {
      directoryUrl: req.directory.url,
      email: req.email,
      accountUrl: client.getAccountUrl(),
      sealedKey: await this.box.seal(key),
      termsOfService,
      termsAcceptedAt: this.now().toISOString(),
    };
    data.accounts.push(record);
    await this.write(data);
    return client;
  }

  private async read(): Promise<AccountsFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, accounts: [] };
      throw err;
    }
    const parsed = AccountsFile.safeParse(safeJson(text));
    if (!parsed.success) throw new SwitchyardError('STORE_CORRUPT', `${this.file} is not a valid ACME accounts file; move it aside to register new accounts`);
    return parsed.data;
  }

  private async write(data: AccountsFile): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
