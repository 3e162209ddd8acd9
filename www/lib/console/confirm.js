// The confirm step before something that cannot be undone, in the page itself (a native
// confirm() dialog blocks the tab and looks like no part of it). The trigger gives its
// place to the question and two buttons; focus starts on "Cancel", so a second Enter
// pressed by habit destroys nothing; Escape cancels too.
import { el } from "../dom.js";

/** Resolves true when the operator confirms, false when they cancel. */
export function confirmInline(trigger, question, yesLabel) {
  return new Promise((resolve) => {
    const yes = el("button", { type: "button", className: "button danger" }, yesLabel);
    const no = el("button", { type: "button", className: "button" }, "Cancel");
    const box = el("div", { className: "confirm", role: "group", "aria-label": question }, el("p", {}, question), el("div", { className: "confirm-actions" }, yes, no));
    const done = (answer) => {
      box.remove();
      trigger.hidden = false;
      if (!answer) trigger.focus();
      resolve(answer);
    };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        done(false);
      }
    });
    trigger.hidden = true;
    trigger.after(box);
    no.focus();
  });
}
