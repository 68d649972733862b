// DOM helpers of the app and the console. User data only ever reaches the page as text nodes, never as HTML.

/** An element with attributes and children; strings and numbers become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (id) => document.getElementById(id);

/** Calls `fn` at most once per `ms`, trailing: a burst of live events costs one read of the server. */
export function throttle(fn, ms) {
  let timer;
  return () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
