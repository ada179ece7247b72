// Click-to-load for content from other sites (PV-11). The page names the site and loads
// nothing from it; only a click on "Load the video" (or image) puts the privacy-enhanced
// player in place. Without JavaScript the link to the content on its own site still works.
(() => {
  const PLAYERS = ["https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/"];

  function load(box) {
    const source = box.getAttribute("data-embed-src") || "";
    const kind = box.getAttribute("data-embed-kind");
    const title = box.getAttribute("data-embed-title") || "";
    let element;
    if (kind === "video" && PLAYERS.some((prefix) => source.startsWith(prefix))) {
      element = document.createElement("iframe");
      element.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
      element.allowFullscreen = true;
      // The players refuse to start without knowing the embedding site: send the origin only.
      element.referrerPolicy = "strict-origin";
    } else if (kind === "image" && source.startsWith("https://")) {
      element = document.createElement("img");
      element.alt = title;
    } else {
      return;
    }
    element.src = source;
    element.title = title;
    element.className = "embed__content";
    box.replaceChildren(element);
    box.classList.add("is-loaded");
  }

  for (const box of document.querySelectorAll("[data-embed-src]")) {
    const button = box.querySelector("[data-embed-load]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", () => load(box));
    }
  }
})();
