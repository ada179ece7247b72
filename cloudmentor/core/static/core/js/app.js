// Progressive enhancement only: every page works without this file.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (target && !window.confirm(target.getAttribute("data-confirm") || "")) {
    event.preventDefault();
  }
});
