import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { SystemInfo } from '../../shared/contract';
import { invoke } from '../api/client';
import { dockerSetupKind } from '../lib/docker-setup';

/** Set once the user chose to go on without this computer's Docker (remote hosts only). */
const SKIP_KEY = 'switchyard.dockerSetup';

function readSkipped(): boolean {
  try {
    return globalThis.localStorage?.getItem(SKIP_KEY) === 'skipped';
  } catch {
    return false;
  }
}

function saveSkipped(on: boolean): void {
  try {
    if (on) globalThis.localStorage?.setItem(SKIP_KEY, 'skipped');
    else globalThis.localStorage?.removeItem(SKIP_KEY);
  } catch {
    // Storage may be off: the choice then lasts for this page only.
  }
}

/**
 * Whether this computer's Docker answers, for the first-run screen. While it does not, the
 * question is asked again every few seconds: Docker tells nobody when it comes up, so there is
 * no event to wait for, and the screen must go away by itself once the user has started it.
 */
export const useDockerStore = defineStore('docker', () => {
  const info = ref<SystemInfo | null>(null);
  const checking = ref(false);
  const checkedAt = ref<Date | null>(null);
  const skipped = ref(readSkipped());
  /** Between two checks while Docker is down (tests shorten it). */
  const retryMs = ref(3000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  const kind = computed(() => (info.value ? dockerSetupKind(info.value.docker) : null));
  /** The screen is up: Docker does not answer, and the user has not chosen to go on without it. */
  const shown = computed(() => kind.value !== null && !skipped.value);

  function schedule(): void {
    clearTimeout(timer);
    // Until Docker answers, or the core does not answer at all yet (its connection is coming back).
    const again = running && !skipped.value && (info.value === null || kind.value !== null);
    timer = again ? setTimeout(() => void check(), retryMs.value) : undefined;
  }

  async function check(): Promise<void> {
    clearTimeout(timer);
    checking.value = true;
    try {
      info.value = await invoke('system:info', {});
      checkedAt.value = new Date();
      // Docker works here after all: a later outage deserves the screen again.
      if (kind.value === null && skipped.value) {
        skipped.value = false;
        saveSkipped(false);
      }
    } catch {
      // The core itself did not answer: asked again below, as for Docker.
    } finally {
      checking.value = false;
    }
    schedule();
  }

  /** Starts checking, once per window. */
  async function start(): Promise<void> {
    if (running) return;
    running = true;
    await check();
  }

  function stop(): void {
    running = false;
    clearTimeout(timer);
    timer = undefined;
  }

  /** Goes on without this computer's Docker: remote hosts over SSH need none. */
  function skip(): void {
    skipped.value = true;
    saveSkipped(true);
    clearTimeout(timer);
    timer = undefined;
  }

  return { info, checking, checkedAt, skipped, retryMs, kind, shown, start, stop, check, skip };
});
