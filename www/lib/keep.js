// The user's own text (typed, pasted or opened) is never dropped silently. An example, a
// file or Clear that replaces it keeps it and says so, with Undo; "(your text)" in the
// Example list names what the editor holds once it is the user's, and brings kept text
// back. Moving through the list with the arrow keys replaces at each step, so asking
// first would stop every step; keeping the text lets the list be browsed freely.

/**
 * `select`: the Example list, with an `<option value="own">`; `notice`, `message` and
 * `undo`: the notice and its button; `read()` → `{ text, raw }` the editor holds;
 * `write({ text, raw })` puts it back.
 */
export function createKeeper({ select, notice, message, undo, read, write }) {
  const own = select.querySelector('option[value="own"]');
  let holdsOwn = false; // the editor holds the user's text, not an example
  let example = ""; // the example the editor holds, if it does
  let kept = null; // the user's text an example, a file or Clear replaced

  const hasText = ({ text, raw }) => raw !== null || text.trim() !== "";

  function sync() {
    const ownShown = holdsOwn && hasText(read());
    own.hidden = !ownShown && kept === null;
    select.value = ownShown ? "own" : example;
    notice.hidden = kept === null;
  }

  /** Before the editor's text is replaced: keeps it if it is the user's. */
  function replacing(by) {
    if (!holdsOwn || !hasText(read())) return;
    kept = read();
    message.textContent = `Your text was replaced by ${by}. It is kept: Undo, or “(your text)” in the Example list, brings it back.`;
  }

  /** The user changed the text: it is theirs now, and what was kept is let go. */
  function edited() {
    holdsOwn = true;
    example = "";
    kept = null;
    sync();
  }

  /** The editor now holds example `name`, or the user's file (`name` null), or nothing. */
  function showing({ name = "", file = false } = {}) {
    holdsOwn = file;
    example = name;
    sync();
  }

  function restore() {
    if (kept === null) return sync();
    const text = kept;
    kept = null;
    holdsOwn = true;
    example = "";
    write(text);
    sync();
  }

  undo.addEventListener("click", restore);
  return { replacing, edited, showing, restore };
}
