import { computed, onBeforeUnmount, onMounted, ref, watch, type Ref } from 'vue';

/**
 * Keeps a form's action bar in sight. While `active`, a bar whose place in the form is below the
 * window's bottom edge floats along that edge, as wide as its place; once the place scrolls into
 * view the bar sits there again. `position: sticky` cannot do this here: the app's layout wraps
 * the page in boxes that clip their overflow without scrolling themselves, so a sticky bar never
 * moves.
 */
export function usePinnedBar(place: Ref<HTMLElement | null>, active: Ref<boolean>) {
  const below = ref(false);
  const box = ref<{ left: number; width: number; height: number } | null>(null);
  const floating = computed(() => active.value && below.value);
  let observer: IntersectionObserver | undefined;

  /** Where the place is across the window, read while the bar still sits in it (or keeps its height). */
  function measure(): void {
    const r = place.value?.getBoundingClientRect();
    if (r && r.width > 0) box.value = { left: r.left, width: r.width, height: r.height };
  }

  onMounted(() => {
    if (!place.value || typeof IntersectionObserver === 'undefined') return;
    observer = new IntersectionObserver(
      ([entry]) => {
        if (!entry) return;
        measure();
        below.value = entry.boundingClientRect.height > 0 && entry.boundingClientRect.bottom > (entry.rootBounds?.bottom ?? window.innerHeight) + 1;
      },
      { threshold: [0, 1] },
    );
    observer.observe(place.value);
    window.addEventListener('resize', measure);
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    window.removeEventListener('resize', measure);
  });
  watch(active, measure);

  /** The place keeps the bar's height while the bar floats: the page does not jump under it. */
  const placeStyle = computed(() => (floating.value && box.value ? { height: `${box.value.height}px` } : {}));
  const barStyle = computed(() => (floating.value && box.value ? { left: `${box.value.left}px`, width: `${box.value.width}px` } : {}));
  return { floating, placeStyle, barStyle };
}
