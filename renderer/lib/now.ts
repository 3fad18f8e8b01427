import { onBeforeUnmount, ref, watch, type Ref } from 'vue';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function hold(): void {
  if (users++ > 0) return;
  now.value = Date.now();
  timer = setInterval(() => (now.value = Date.now()), 1000);
}

function letGo(): void {
  if (--users === 0) clearInterval(timer);
}

/**
 * The time, ticking every second while `showing()` says a running duration (an uptime) is on
 * screen: one clock for all of them, stopped when none is. It moves words on screen; no data is
 * fetched on it.
 */
export function useNow(showing: () => boolean): Ref<number> {
  let held = false;
  const set = (on: boolean) => {
    if (on === held) return;
    held = on;
    if (on) hold();
    else letGo();
  };
  watch(showing, set, { immediate: true });
  onBeforeUnmount(() => set(false));
  return now;
}
