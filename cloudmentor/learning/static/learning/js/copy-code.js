// A "Copier" button on every code block of a lesson (LX-6). Our own script, loaded as a file
// (the CSP forbids inline scripts); the labels come from the page, in the reader's language
// (data-copy-label, data-copied-label, data-copy-failed-label on the lesson body). It is a
// real <button>: reachable with Tab, pressed with Enter or Space; the result is announced
// by a polite live region as well as shown on the button.
(() => {
  const body = document.querySelector("[data-copy-label]");
  if (!body) {
    return;
  }
  const label = body.getAttribute("data-copy-label");
  const copied = body.getAttribute("data-copied-label");
  const failed = body.getAttribute("data-copy-failed-label");
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  body.append(status);

  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "code-copy__scratch";
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(() => fallbackCopy(text));
    }
    return fallbackCopy(text);
  }

  let counter = 0;
  for (const pre of body.querySelectorAll("pre")) {
    counter += 1;
    const block = pre.closest(".highlight") || pre;
    const wrapper = document.createElement("div");
    wrapper.className = "code-copy";
    block.replaceWith(wrapper);
    wrapper.append(block);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy__button";
    button.textContent = label;
    if (!pre.id) {
      pre.id = `code-block-${counter}`;
    }
    button.setAttribute("aria-describedby", pre.id);
    let timer = 0;
    button.addEventListener("click", () => {
      const text = pre.innerText.replace(/\n$/, "");
      copy(text).then(
        () => {
          button.textContent = copied;
          status.textContent = copied;
        },
        () => {
          button.textContent = failed;
          status.textContent = failed;
        },
      );
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = label;
        status.textContent = "";
      }, 2000);
    });
    wrapper.prepend(button);
  }
})();
