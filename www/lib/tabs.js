// The WAI-ARIA tabs pattern: one tab in the Tab order at a time (roving tabindex),
// Left/Right (wrapping), Home and End move between tabs and show their panel.

/** Wires the tabs of `tablist`; `onShow(panel)` runs when a panel becomes visible. */
export function setupTabs(tablist, onShow = () => {}) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];

  function select(tab, focus = true) {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    onShow(document.getElementById(tab.getAttribute("aria-controls")));
  }

  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) select(tab);
  });

  tablist.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(document.activeElement);
    if (at === -1) return;
    const to = {
      ArrowRight: (at + 1) % tabs.length,
      ArrowLeft: (at - 1 + tabs.length) % tabs.length,
      Home: 0,
      End: tabs.length - 1,
    }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select(tabs[to]);
  });

  return { select: (id) => select(document.getElementById(id), false) };
}
