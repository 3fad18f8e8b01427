/**
 * naive-ui's spinner (NSpin, a button's loading state) names itself "loading" in English
 * whatever its locale says: the word is written into the component, not read from the locale.
 * Screen readers then say "loading" in a French window. This names each spinner in the page's
 * language as it appears, and again when the language changes.
 */
const SPINNER = '.n-base-loading[role="img"]';

/** Names every spinner under `root` with `label()`; call `relabel` after a language change, `stop` to end. */
export function labelSpinners(root: HTMLElement, label: () => string): { relabel: () => void; stop: () => void } {
  const name = (el: Element) => {
    const text = label();
    if (el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  };
  const relabel = () => root.querySelectorAll(SPINNER).forEach(name);
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) {
        if (!(node instanceof Element)) continue;
        if (node.matches(SPINNER)) name(node);
        node.querySelectorAll(SPINNER).forEach(name);
      }
    }
  });
  observer.observe(root, { childList: true, subtree: true });
  relabel();
  return { relabel, stop: () => observer.disconnect() };
}
