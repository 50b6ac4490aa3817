// What the browser computed on a public page, for tests/test_board_browser.py.
// contrast(): every visible text (and field, and placeholder) with its WCAG 2 contrast ratio
// against the first opaque background behind it. sizes(): computed font sizes of visible
// text, and the boxes of tap targets (buttons, fields, choices, tool links).
const measures = {
  contrast: () => {
  const rgba = s => { const m = s.match(/[\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const over = (fg, bg) => fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
  const background = el => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
    if (c[3] > 0.99) return c.slice(0, 3); } return [255, 255, 255]; };
  const seen = el => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && st.visibility !== 'hidden' && st.opacity !== '0'; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!seen(el) || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const field = ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) && el.type !== 'hidden';
    if (!own && !field) continue;
    const bg = background(el);
    const text = (own ? el.textContent : el.value || el.placeholder || '').trim().slice(0, 30);
    out.push({ tag: el.tagName, text, ratio: ratio(over(rgba(getComputedStyle(el).color), bg), bg) });
    if (field && el.placeholder) out.push({ tag: el.tagName + '::placeholder', text: el.placeholder,
      ratio: ratio(over(rgba(getComputedStyle(el, '::placeholder').color), bg), bg) });
  }
  return out;
},
  sizes: () => {
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.right > 0; };
  const fonts = [], targets = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!seen(el) || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
    const field = ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) && el.type !== 'hidden';
    if (field || [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
      fonts.push({ tag: el.tagName, text: el.textContent.trim().slice(0, 20), px: parseFloat(getComputedStyle(el).fontSize) });
  }
  const tappable = 'button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
    + 'label.check, summary, a.tool, .tabs a, a.tap';
  for (const el of document.querySelectorAll(tappable)) {
    if (!seen(el)) continue;
    const r = el.getBoundingClientRect();
    targets.push({ tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 20), w: r.width, h: r.height });
  }
  return { fonts, targets, width: document.documentElement.scrollWidth };
},
};
