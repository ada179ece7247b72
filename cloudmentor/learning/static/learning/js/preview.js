// The lesson editor's live preview: the draft is rendered by the server, exactly as
// members will see it (same Markdown, same sanitizer), a moment after typing stops.
(() => {
  const setUp = () => {
    const preview = document.querySelector(".lesson-preview[data-preview-url]");
    const editor = document.querySelector("textarea.markdown-editor");
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!preview || !editor || !token) return;
    let timer = null;
    const refresh = async () => {
      const body = new FormData();
      body.append("body", editor.value);
      const response = await fetch(preview.getAttribute("data-preview-url"), {
        method: "POST",
        body,
        headers: { "X-CSRFToken": token.value },
        credentials: "same-origin",
      });
      if (response.ok) preview.innerHTML = await response.text();
    };
    editor.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
