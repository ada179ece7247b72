// The policy editor's live preview (staff site): each Markdown text is rendered by the
// server exactly as the policy page will show it, a moment after typing stops.
(() => {
  const setUp = () => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!token) return;
    document.querySelectorAll(".policy-preview[data-preview-url][data-editor]").forEach((preview) => {
      const editor = document.querySelector(`textarea[name="${preview.getAttribute("data-editor")}"]`);
      if (!editor) return;
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
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
