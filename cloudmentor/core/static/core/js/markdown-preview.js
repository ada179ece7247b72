// Live preview of Markdown editors in the staff site (lessons, policies): the text is
// rendered by the server exactly as readers will see it (same Markdown, same sanitizer),
// a moment after typing stops.
// Markup: <div data-preview-url="…" data-editor="field name"> next to the editor's
// <textarea name="field name">; without data-editor, the page's textarea.markdown-editor.
(() => {
  const connect = (preview, editor, token) => {
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
  const setUp = () => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!token) return;
    document.querySelectorAll("[data-preview-url]").forEach((preview) => {
      const name = preview.getAttribute("data-editor");
      const editor = document.querySelector(name ? `textarea[name="${name}"]` : "textarea.markdown-editor");
      if (editor) connect(preview, editor, token);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
