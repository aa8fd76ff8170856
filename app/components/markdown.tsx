import type { ReactNode } from "react";

/**
 * A small, safe Markdown: the Terms and Conditions as administrators write them.
 * Headings (`#`, `##`, `###`), paragraphs, lists (`-`, `*` or `1.`), **bold** and
 * *italic*. Everything else is text: no raw HTML, no links or images, and React
 * escapes what it renders, so nothing typed becomes markup.
 */
export function Markdown({ source, headingLevel = 2 }: { source: string; headingLevel?: 2 | 3 }) {
  return <>{blocks(source).map((block, i) => render(block, i, headingLevel))}</>;
}

type Block =
  | { kind: "heading"; depth: number; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] };

const HEADING = /^(#{1,3})\s+(.*)$/;
const BULLET = /^\s*[-*]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+(.*)$/;

export function blocks(source: string): Block[] {
  const out: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push({ kind: "paragraph", text: paragraph.join(" ") });
    paragraph = [];
  };
  for (const raw of source.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trimEnd();
    const heading = HEADING.exec(line);
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (line.trim() === "") {
      flush();
    } else if (heading) {
      flush();
      out.push({ kind: "heading", depth: heading[1].length, text: heading[2].trim() });
    } else if (bullet || numbered) {
      flush();
      const ordered = Boolean(numbered);
      const item = (bullet ?? numbered)![1].trim();
      const last = out[out.length - 1];
      if (last?.kind === "list" && last.ordered === ordered) last.items.push(item);
      else out.push({ kind: "list", ordered, items: [item] });
    } else {
      const last = out[out.length - 1];
      // A line right under a list item continues it.
      if (paragraph.length === 0 && last?.kind === "list" && /^\s{2,}/.test(raw))
        last.items[last.items.length - 1] += ` ${line.trim()}`;
      else paragraph.push(line.trim());
    }
  }
  flush();
  return out;
}

function render(block: Block, key: number, base: 2 | 3) {
  switch (block.kind) {
    case "heading": {
      const level = Math.min(6, base + block.depth - 1);
      const Tag = `h${level}` as "h2";
      return <Tag key={key}>{inline(block.text)}</Tag>;
    }
    case "paragraph":
      return <p key={key}>{inline(block.text)}</p>;
    case "list": {
      const Tag = block.ordered ? "ol" : "ul";
      return (
        <Tag key={key}>
          {block.items.map((item, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a static list, never reordered.
            <li key={i}>{inline(item)}</li>
          ))}
        </Tag>
      );
    }
  }
}

/** **bold** and *italic* (or _italic_); the rest is text. */
function inline(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  const pattern = /\*\*([^*]+)\*\*|\*([^*]+)\*|_([^_]+)_/g;
  let at = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > at) parts.push(text.slice(at, match.index));
    if (match[1] !== undefined) parts.push(<strong key={match.index}>{match[1]}</strong>);
    else parts.push(<em key={match.index}>{match[2] ?? match[3]}</em>);
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}
