// Finds relative links in Markdown pages that point at no file, or at a heading that does not exist, so a
// page moved or a heading renamed fails the lint instead of leaving a dead link in the guide.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, relative, resolve } from 'node:path';

export interface BrokenLink {
  /** The page holding the link, relative to the repository root. */
  readonly page: string;
  readonly line: number;
  readonly target: string;
  readonly problem: 'no such file' | 'no such heading';
}

const inlineLink = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const referenceDefinition = /^\s{0,3}\[[^\]]+\]:\s+<?([^\s>]+)>?/;
const fence = /^\s{0,3}(`{3,}|~{3,})/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;

/** Every broken relative link of the given pages (absolute paths), in page and line order. */
export function brokenLinks(pages: readonly string[], root: string): BrokenLink[] {
  const anchorsByPage = new Map<string, Set<string>>();
  const anchorsOf = (page: string) => {
    let anchors = anchorsByPage.get(page);
    if (!anchors) {
      anchors = headingAnchors(readFileSync(page, 'utf8'));
      anchorsByPage.set(page, anchors);
    }
    return anchors;
  };

  const broken: BrokenLink[] = [];
  for (const page of pages) {
    for (const { line, target } of linksOf(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: are not checked here
      const hash = target.indexOf('#');
      const path = decodeURI(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const file =
        path === '' ? page : path.startsWith('/') ? resolve(root, `.${path}`) : resolve(dirname(page), path);
      const report = (problem: BrokenLink['problem']) =>
        broken.push({ page: relative(root, page), line, target, problem });
      if (!existsSync(file)) report('no such file');
      else if (anchor && extname(file) === '.md' && !anchorsOf(file).has(anchor)) report('no such heading');
    }
  }
  return broken;
}

/** The link targets of a page outside code blocks and code spans, with their line numbers (from 1). */
export function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/`+[^`]*`+/g, '');
    for (const match of prose.matchAll(inlineLink)) links.push({ line, target: match[1] as string });
    const definition = referenceDefinition.exec(prose);
    if (definition) links.push({ line, target: definition[1] as string });
  }
  return links;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const match = heading.exec(text);
    if (!match) continue;
    const slug = slugOf(match[2] as string);
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

export function slugOf(headingText: string): string {
  return headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link keeps its text
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replaceAll(' ', '-');
}

/** The lines of a page that are not inside a fenced code block. */
function* proseLines(markdown: string): Generator<{ text: string; line: number }> {
  let openFence: string | undefined;
  const lines = markdown.split('\n');
  for (const [index, text] of lines.entries()) {
    const marker = fence.exec(text)?.[1];
    if (openFence) {
      if (marker?.startsWith(openFence)) openFence = undefined;
      continue;
    }
    if (marker) {
      openFence = marker;
      continue;
    }
    yield { text, line: index + 1 };
  }
}
