import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_IMAGES } from './lab';

/**
 * A folder shaped like the tutorial's backend: a Dockerfile, an entrypoint that writes
 * BACKEND_NAME into the page, and the server. FROM the local busybox stand-in (nothing can be
 * pulled here), with busybox httpd in place of Apache. `SECRET_FILE` lets a test check that a
 * secret variable reached the container without it ever being served.
 */
export function tutorialAppFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-tutorial-app-'));
  writeFileSync(path.join(dir, 'Dockerfile'), [`FROM ${TEST_IMAGES.demoBase}`, 'COPY entrypoint.sh /entrypoint.sh', 'EXPOSE 80', 'ENTRYPOINT ["/bin/sh", "/entrypoint.sh"]', ''].join('\n'));
  writeFileSync(
    path.join(dir, 'entrypoint.sh'),
    [
      '#!/bin/sh',
      'set -eu',
      // A missing configuration, as apps fail at start: exit non-zero with a word on stderr.
      'if [ -n "${CRASH_WITH:-}" ]; then echo "$CRASH_WITH" >&2; exit 3; fi',
      'mkdir -p /www',
      'echo "<h1>Hello from Backend: ${BACKEND_NAME:-unnamed}</h1>" > /www/index.html',
      'echo ok > /www/health',
      // The secret's length only: enough to prove it arrived, without serving it.
      'printf %s "${API_TOKEN:-}" | wc -c > /www/token-length',
      'echo "tutorial app ${BACKEND_NAME:-unnamed} listening on 80"',
      'exec httpd -f -p 80 -h /www',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, '.dockerignore'), 'notes.txt\n');
  writeFileSync(path.join(dir, 'notes.txt'), 'not part of the image\n');
  return dir;
}
