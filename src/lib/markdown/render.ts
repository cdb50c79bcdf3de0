/**
 * Markdown renderer for model answers.
 *
 * Model output is UNTRUSTED. The pipeline is:
 *   1. marked (GFM) with our own renderers: raw HTML is escaped (never passed through),
 *      links are filtered to http/https/mailto/relative, remote images are downgraded to
 *      plain links, code is highlighted by highlight.js, math is rendered by KaTeX.
 *   2. DOMPurify, on a private instance (so its hooks never leak into other users of the
 *      global DOMPurify), as the final pass with a restrictive configuration and hooks.
 *
 * It is also robust to partial (streaming) input: unclosed fences render as an open code
 * block, unclosed block math renders as a "pending" raw block, and any unexpected error
 * falls back to escaped plain text. It never throws.
 *
 * `renderMarkdown` needs a DOM (`window`), i.e. the browser. On the server it degrades to
 * escaped plain text (see `renderPlainText`).
 */
import { Marked, Renderer, type RendererObject, type Tokens, type TokenizerAndRendererExtension } from 'marked';
import createDOMPurify, { type Config, type DOMPurify, type WindowLike } from 'dompurify';
import katex from 'katex';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

// ---------------------------------------------------------------------------------------
// highlight.js (core + a curated set of languages, to keep the bundle small)
// ---------------------------------------------------------------------------------------

const LANGUAGES = {
	bash,
	c,
	cpp,
	css,
	diff,
	go,
	java,
	javascript,
	json,
	markdown,
	php,
	plaintext,
	python,
	rust,
	shell,
	sql,
	typescript,
	xml,
	yaml
};
for (const [name, lang] of Object.entries(LANGUAGES)) {
	if (!hljs.getLanguage(name)) hljs.registerLanguage(name, lang);
}
// Extra aliases commonly produced by models (most others — js, ts, py, sh, html, yml, md,
// rs, golang, patch, h, hpp, cc, jsx, tsx, zsh, console, txt, text... — are built in).
hljs.registerAliases(['shell-session', 'terminal', 'ps1'], { languageName: 'shell' });
hljs.registerAliases(['sqlite', 'postgresql', 'postgres', 'psql', 'mysql'], { languageName: 'sql' });
hljs.registerAliases(['jsonc', 'json5'], { languageName: 'json' });
hljs.registerAliases(['vue', 'svelte'], { languageName: 'xml' });
hljs.registerAliases(['mjs', 'cjs'], { languageName: 'javascript' });
hljs.registerAliases(['mts', 'cts'], { languageName: 'typescript' });

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;'
};

/** Escapes all HTML-significant characters (including `&` of existing entities). */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Escaped plain text, suitable where no DOM/sanitizer is available (SSR, fatal errors). */
export function renderPlainText(source: string): string {
	return `<p class="markdown-fallback">${escapeHtml(source)}</p>`;
}

/** Tiny LRU cache (KaTeX and highlight.js are the expensive parts of a re-render). */
class Lru<V> {
	#map = new Map<string, V>();
	constructor(private readonly max: number) {}
	get(key: string): V | undefined {
		const value = this.#map.get(key);
		if (value !== undefined) {
			this.#map.delete(key);
			this.#map.set(key, value);
		}
		return value;
	}
	set(key: string, value: V): void {
		this.#map.delete(key);
		this.#map.set(key, value);
		if (this.#map.size > this.max) {
			const oldest = this.#map.keys().next().value;
			if (oldest !== undefined) this.#map.delete(oldest);
		}
	}
}

const mathCache = new Lru<string>(500);
const codeCache = new Lru<string>(200);

/** Removes characters browsers ignore/strip inside URLs (whitespace, C0/C1 controls). */
function stripUrlNoise(url: string): string {
	// eslint-disable-next-line no-control-regex
	return url.replace(/[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g, '');
}

const NAMED_URL_ENTITIES: Record<string, string> = {
	colon: ':',
	tab: '\t',
	newline: '\n',
	sol: '/',
	bsol: '\\',
	lpar: '(',
	rpar: ')',
	period: '.',
	amp: '&',
	num: '#',
	quest: '?',
	equals: '='
};

/** Decodes numeric and a few named character references so that the scheme check sees
 *  what a browser would see (`javascript&#58;…`, `&#x6A;avascript:…`). */
function decodeEntities(url: string): string {
	return url.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (match, body: string) => {
		if (body[0] === '#') {
			const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
			if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff) return '';
			return String.fromCodePoint(code);
		}
		return NAMED_URL_ENTITIES[body.toLowerCase()] ?? match;
	});
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * Returns a safe href (decoded, not yet HTML-escaped) or null.
 * Allowed: http:, https:, mailto:, and scheme-less (relative, `#fragment`, `/path`, `//host`).
 */
export function safeLinkHref(raw: string | null | undefined): string | null {
	if (!raw) return null;
	const decoded = decodeEntities(raw.trim());
	const probe = stripUrlNoise(decoded);
	if (!probe) return null;
	const scheme = SCHEME.exec(probe);
	if (scheme) {
		if (!LINK_SCHEMES.has(scheme[1].toLowerCase())) return null;
	} else if (probe.includes(':') && !/^[^:]*[/?#]/.test(probe)) {
		// A colon before any /?# means the browser may still read a scheme (e.g. odd chars).
		return null;
	}
	return decoded.trim();
}

const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|avif|bmp);base64,[a-z0-9+/=\s]+$/i;

/**
 * True when an image source would NOT cause a request to a third party:
 * a same-origin relative path (`/x.png`, `./x.png`, `../x.png`, `x.png`) or a raster
 * `data:image/…;base64,` URI. Protocol-relative (`//host`), backslash tricks, any scheme
 * other than data:image are refused.
 */
export function isSafeImageSrc(raw: string | null | undefined): boolean {
	if (!raw) return false;
	const src = raw.trim();
	if (SAFE_DATA_IMAGE.test(src)) return true;
	const probe = stripUrlNoise(decodeEntities(src));
	if (!probe || probe !== src) return false; // hidden whitespace/entities: refuse
	if (probe.includes('\\')) return false;
	if (probe.startsWith('//')) return false;
	if (/^[^/?#]*:/.test(probe)) return false; // has a scheme (or something a browser may read as one)
	return true;
}

/** Encodes characters that must not appear raw in a URL, like marked's cleanUrl. */
function encodeUrl(url: string): string {
	try {
		return encodeURI(url).replace(/%25/g, '%');
	} catch {
		return url;
	}
}

// ---------------------------------------------------------------------------------------
// Math (KaTeX)
// ---------------------------------------------------------------------------------------

function renderTex(tex: string, displayMode: boolean): string {
	const key = (displayMode ? 'D' : 'I') + tex;
	const cached = mathCache.get(key);
	if (cached !== undefined) return cached;
	let html: string;
	try {
		html = katex.renderToString(tex, {
			displayMode,
			throwOnError: false,
			output: 'htmlAndMathml',
			trust: false, // no \href, \url, \includegraphics, \htmlStyle...
			strict: false, // accept unicode text (French accents) without console warnings
			maxExpand: 1000, // guard against macro bombs
			maxSize: 50
		});
	} catch {
		html = `<code class="math-error">${escapeHtml(tex)}</code>`;
	}
	mathCache.set(key, html);
	return html;
}

interface MathToken extends Tokens.Generic {
	type: 'mathBlock' | 'mathInline';
	raw: string;
	text: string;
	displayMode: boolean;
	/** Unclosed block math while streaming: shown raw until it is complete. */
	pending?: boolean;
}

const BLOCK_DOLLAR = /^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/;
const BLOCK_BRACKET = /^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n+|$)/;
const BLOCK_DOLLAR_OPEN = /^ {0,3}\$\$(?![\s\S]*\$\$)([\s\S]*)$/;
const BLOCK_BRACKET_OPEN = /^ {0,3}\\\[[ \t]*\n(?![\s\S]*\\\])([\s\S]*)$/;

const mathBlock: TokenizerAndRendererExtension = {
	name: 'mathBlock',
	level: 'block',
	start(src: string) {
		const m = /(?:^|\n) {0,3}(?:\$\$|\\\[)/.exec(src);
		if (!m) return undefined;
		return m.index + (m[0].startsWith('\n') ? 1 : 0);
	},
	tokenizer(src: string): MathToken | undefined {
		let m = BLOCK_DOLLAR.exec(src) ?? BLOCK_BRACKET.exec(src);
		if (m && m[1].trim()) {
			return { type: 'mathBlock', raw: m[0], text: m[1].trim(), displayMode: true };
		}
		m = BLOCK_DOLLAR_OPEN.exec(src) ?? BLOCK_BRACKET_OPEN.exec(src);
		if (m) {
			return { type: 'mathBlock', raw: m[0], text: m[0].trim(), displayMode: true, pending: true };
		}
		return undefined;
	},
	renderer(token) {
		const t = token as MathToken;
		if (t.pending) {
			return `<div class="math math-display math-pending"><code>${escapeHtml(t.text)}</code></div>\n`;
		}
		return `<div class="math math-display">${renderTex(t.text, true)}</div>\n`;
	}
};

const INLINE_DISPLAY_DOLLAR = /^\$\$((?:\\[\s\S]|[^\\$])+?)\$\$/;
const INLINE_DISPLAY_BRACKET = /^\\\[([\s\S]+?)\\\]/;
const INLINE_PAREN = /^\\\(([\s\S]+?)\\\)/;
// `$…$`: no space after the opening `$`, none before the closing one, and no digit right
// after it, so that prices ("5 $ et 10 $", "$5 and $10") are left alone.
const INLINE_DOLLAR = /^\$(?![\s$])((?:\\[\s\S]|[^\\$])+?)\$(?!\d)/;

const mathInline: TokenizerAndRendererExtension = {
	name: 'mathInline',
	level: 'inline',
	start(src: string) {
		const i = src.search(/\$|\\[([]/);
		return i < 0 ? undefined : i;
	},
	tokenizer(src: string): MathToken | undefined {
		const c0 = src[0];
		if (c0 !== '$' && c0 !== '\\') return undefined;
		let m = INLINE_DISPLAY_DOLLAR.exec(src) ?? INLINE_DISPLAY_BRACKET.exec(src);
		if (m && m[1].trim()) {
			return { type: 'mathInline', raw: m[0], text: m[1].trim(), displayMode: true };
		}
		m = INLINE_PAREN.exec(src);
		if (m && m[1].trim()) {
			return { type: 'mathInline', raw: m[0], text: m[1].trim(), displayMode: false };
		}
		m = INLINE_DOLLAR.exec(src);
		if (m && !/\s$/.test(m[1])) {
			return { type: 'mathInline', raw: m[0], text: m[1], displayMode: false };
		}
		return undefined;
	},
	renderer(token) {
		const t = token as MathToken;
		const cls = t.displayMode ? 'math math-display' : 'math math-inline';
		return `<span class="${cls}">${renderTex(t.text, t.displayMode)}</span>`;
	}
};

// ---------------------------------------------------------------------------------------
// Renderers
// ---------------------------------------------------------------------------------------

const LINK_ATTRS = 'target="_blank" rel="noopener noreferrer nofollow"';

function highlight(code: string, language: string | undefined): string {
	if (!language) return escapeHtml(code);
	const key = language + '\u0000' + code;
	const cached = codeCache.get(key);
	if (cached !== undefined) return cached;
	let html: string;
	try {
		html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
	} catch {
		html = escapeHtml(code);
	}
	codeCache.set(key, html);
	return html;
}

const renderer: RendererObject = {
	// Raw HTML from the model is shown as text, never interpreted.
	html({ text, block }: Tokens.HTML | Tokens.Tag) {
		const escaped = escapeHtml(text);
		return block ? `<p class="raw-html">${escaped.replace(/\n+$/, '')}</p>\n` : escaped;
	},

	code({ text, lang }: Tokens.Code) {
		const info = (lang ?? '').trim().split(/\s+/)[0] ?? '';
		const name = info.toLowerCase().replace(/[^a-z0-9_+#.-]/g, '').slice(0, 32);
		if (name === 'math') return `<div class="math math-display">${renderTex(text, true)}</div>\n`;
		const known = name && hljs.getLanguage(name) ? name : undefined;
		const body = highlight(text.replace(/\n$/, ''), known);
		const label = name || 'texte';
		const cls = known ? `hljs language-${name}` : name ? `hljs language-${name} nohighlight` : 'hljs';
		return (
			'<div class="code-block"><div class="code-header">' +
			`<span class="code-lang">${escapeHtml(label)}</span>` +
			'<button type="button" class="code-copy" data-copy aria-label="Copier le code">Copier</button>' +
			`</div><pre tabindex="0"><code class="${cls}">${body}\n</code></pre></div>\n`
		);
	},

	link({ href, title, tokens }: Tokens.Link) {
		const text = this.parser.parseInline(tokens);
		const safe = safeLinkHref(href);
		if (safe === null) return text;
		const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
		return `<a href="${escapeHtml(encodeUrl(safe))}"${titleAttr} ${LINK_ATTRS}>${text}</a>`;
	},

	image({ href, title, text }: Tokens.Image) {
		const alt = text ?? '';
		if (isSafeImageSrc(href)) {
			const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
			return `<img src="${escapeHtml(href.trim())}" alt="${escapeHtml(alt)}"${titleAttr} loading="lazy">`;
		}
		// Remote (or otherwise unsafe) image: never load it, show a plain link instead so
		// that nothing is fetched (and nothing leaks) without an explicit click.
		const label = `[image : ${escapeHtml(alt || 'sans description')}]`;
		const safe = safeLinkHref(href);
		if (safe === null) return `<span class="md-image-blocked">${label}</span>`;
		return `<a class="md-image-link" href="${escapeHtml(encodeUrl(safe))}" ${LINK_ATTRS}>${label}</a>`;
	},

	// GFM task lists: no <input> (forbidden by the sanitizer), a symbol instead.
	checkbox({ checked }: Tokens.Checkbox) {
		return checked
			? '<span class="md-task md-task-done" role="img" aria-label="fait">☑</span> '
			: '<span class="md-task" role="img" aria-label="à faire">☐</span> ';
	},

	// Wide tables scroll horizontally inside their own box (not the page).
	table(token: Tokens.Table) {
		return `<div class="table-wrapper" tabindex="0">${Renderer.prototype.table.call(this, token)}</div>\n`;
	}
};

function createMarked(): Marked {
	return new Marked(
		{ gfm: true, breaks: true, async: false, silent: false },
		{ extensions: [mathBlock, mathInline], renderer }
	);
}

const marked = createMarked();

/**
 * Markdown → HTML **before** sanitization. Exported for tests and inspection only: NEVER
 * insert its output in the DOM without passing it through the sanitizer.
 */
export function markdownToUnsafeHtml(source: string): string {
	if (typeof source !== 'string' || source === '') return '';
	try {
		return marked.parse(source, { async: false }) as string;
	} catch {
		return renderPlainText(source);
	}
}

// ---------------------------------------------------------------------------------------
// Sanitization (DOMPurify)
// ---------------------------------------------------------------------------------------

/** DOMPurify configuration (final pass). Hooks in `createSanitizer` complete it. */
export const PURIFY_CONFIG = {
	// Only http(s), mailto and scheme-less (relative / #fragment) URIs.
	ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
	ALLOW_UNKNOWN_PROTOCOLS: false,
	ALLOW_DATA_ATTR: false,
	ADD_ATTR: ['target', 'data-copy'],
	FORBID_TAGS: [
		'script',
		'style',
		'link',
		'meta',
		'base',
		'form',
		'input',
		'textarea',
		'select',
		'option',
		'iframe',
		'frame',
		'frameset',
		'object',
		'embed',
		'applet',
		'audio',
		'video',
		'source',
		'track',
		'picture',
		'canvas',
		'template',
		'slot',
		'portal',
		'dialog',
		'noscript',
		'noembed',
		'noframes',
		'xmp',
		'plaintext',
		'marquee',
		// SVG elements able to fetch or animate attributes
		'image',
		'feimage',
		'use',
		'foreignobject',
		'animate',
		'animatemotion',
		'animatetransform',
		'set',
		'mpath'
	],
	FORBID_ATTR: [
		'srcset',
		'sizes',
		'ping',
		'formaction',
		'action',
		'background',
		'poster',
		'lowsrc',
		'dynsrc',
		'longdesc',
		'usemap',
		'xlink:href',
		'id',
		'name',
		'autofocus',
		'popover',
		'popovertarget',
		'popovertargetaction',
		'command',
		'commandfor'
	],
	KEEP_CONTENT: true,
	RETURN_TRUSTED_TYPE: false
} satisfies Config;

const DANGEROUS_CSS = /url\s*\(|image-set|image\s*\(|expression|@import|javascript:|behavior|binding|\\|\/\*|&#|<|>/i;
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

function isKatexSubtree(el: Element): boolean {
	return el.closest('.katex, .katex-display, .katex-mathml, .katex-html') !== null;
}

/** Creates a private DOMPurify instance bound to `win`, configured and hooked. */
export function createSanitizer(win: WindowLike): (html: string) => string {
	const purify: DOMPurify = createDOMPurify(win);
	purify.setConfig(PURIFY_CONFIG);

	purify.addHook('uponSanitizeAttribute', (node, data) => {
		const name = data.attrName;
		const value = data.attrValue ?? '';
		const normalized = stripUrlNoise(value).toLowerCase();
		// Any attribute pointing at an external resource through CSS (fill="url(…)", style…).
		if (normalized.includes('url(')) {
			data.keepAttr = false;
			return;
		}
		if (name === 'style') {
			// Inline styles are only needed (and only produced) by KaTeX's HTML output.
			if (!isKatexSubtree(node) || DANGEROUS_CSS.test(value)) data.keepAttr = false;
			return;
		}
		if ((name === 'href' || name === 'src') && node.namespaceURI !== XHTML_NS) {
			// No URL-bearing attributes on SVG/MathML elements.
			data.keepAttr = false;
		}
	});

	purify.addHook('afterSanitizeAttributes', (node) => {
		if (node.nodeType !== 1) return;
		const el = node as Element;
		const tag = el.nodeName.toLowerCase();
		if (tag === 'a') {
			const href = el.getAttribute('href');
			if (href !== null && safeLinkHref(href) === null) el.removeAttribute('href');
			el.setAttribute('target', '_blank');
			el.setAttribute('rel', 'noopener noreferrer nofollow');
		} else if (el.hasAttribute('href')) {
			el.removeAttribute('href');
		}
		if (tag === 'img') {
			const src = el.getAttribute('src');
			if (!isSafeImageSrc(src)) {
				const alt = el.getAttribute('alt') ?? '';
				const doc = el.ownerDocument;
				el.replaceWith(doc.createTextNode(`[image : ${alt || 'sans description'}]`));
				return;
			}
			el.removeAttribute('srcset');
		} else if (el.hasAttribute('src')) {
			el.removeAttribute('src');
		}
		if (tag === 'button') {
			// Only our copy buttons exist; make sure they can never submit anything.
			el.setAttribute('type', 'button');
		}
	});

	return (html: string) => purify.sanitize(html) as string;
}

/** Renders markdown with an explicit sanitizer (e.g. one bound to a happy-dom window). */
export function renderMarkdownWith(sanitize: (html: string) => string, source: string): string {
	const raw = markdownToUnsafeHtml(source);
	if (!raw) return '';
	try {
		return sanitize(raw);
	} catch {
		return renderPlainText(source);
	}
}

let defaultSanitizer: ((html: string) => string) | null = null;

/**
 * Renders untrusted markdown (possibly partial, while streaming) to SANITIZED HTML.
 * Browser only: without a `window` (SSR) it returns escaped plain text.
 */
export function renderMarkdown(source: string): string {
	if (typeof window === 'undefined' || typeof window.document === 'undefined') {
		return source ? renderPlainText(source) : '';
	}
	defaultSanitizer ??= createSanitizer(window);
	return renderMarkdownWith(defaultSanitizer, source);
}

/**
 * Top-level Markdown blocks of `source` (paragraphs, lists, code fences, math blocks…), each as
 * its raw text: rendering them one by one lets a streaming answer re-render only its last block.
 */
export function splitBlocks(source: string): string[] {
	if (!source) return [];
	try {
		return marked.lexer(source).map((t) => t.raw).filter((raw) => raw.trim() !== '');
	} catch {
		return [source];
	}
}

const blockCache = new Lru<string>(1000);

/** renderMarkdown for one finished block, cached by its source. */
export function renderBlock(raw: string): string {
	const cached = blockCache.get(raw);
	if (cached !== undefined) return cached;
	const html = renderMarkdown(raw);
	blockCache.set(raw, html);
	return html;
}
