import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { isMessageKey, messages } from '~/i18n/messages';

/**
 * Every user-visible string comes from the message catalog (app/i18n/messages.ts), in Korean and
 * English. This reads every route and component as TypeScript and fails on text written straight
 * into JSX (a text node, or a title/placeholder/aria-label/alt attribute holding words) and on a
 * `t('key')` whose key is not in the catalog.
 */

const root = path.resolve(import.meta.dirname, '../../..');
const folders = ['app/routes', 'app/components'];
const VISIBLE_ATTRIBUTES = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label', 'aria-description']);
// Words: Latin letters or Hangul. Symbols (→, —, ·, ✓, numbers) are not language.
const WORDS = /[A-Za-z\uac00-\ud7a3]{2,}/;

function sourceFiles(): string[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f))
      .map((f) => path.join(folder, f)),
  );
}

type Finding = { file: string; line: number; text: string };

function scan(file: string): { hardCoded: Finding[]; unknownKeys: Finding[] } {
  const text = readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const hardCoded: Finding[] = [];
  const unknownKeys: Finding[] = [];
  const at = (node: ts.Node, value: string): Finding => ({
    file,
    line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
    text: value.trim().slice(0, 60),
  });
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && WORDS.test(node.text)) hardCoded.push(at(node, node.text));
    if (ts.isJsxAttribute(node) && VISIBLE_ATTRIBUTES.has(node.name.getText(source))) {
      const init = node.initializer;
      const literal =
        init && ts.isStringLiteral(init)
          ? init.text
          : init && ts.isJsxExpression(init) && init.expression && ts.isStringLiteralLike(init.expression)
            ? init.expression.text
            : null;
      if (literal !== null && WORDS.test(literal)) hardCoded.push(at(node, literal));
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      ['t', 'translate'].includes(node.expression.text)
    ) {
      const keyArg = node.expression.text === 't' ? node.arguments[0] : node.arguments[1];
      if (keyArg && ts.isStringLiteralLike(keyArg) && !isMessageKey(keyArg.text))
        unknownKeys.push(at(node, keyArg.text));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { hardCoded, unknownKeys };
}

describe('UI text comes from the catalog', () => {
  const files = sourceFiles();
  const results = files.map(scan);

  it('finds the route and component files', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain(path.join('app/routes', '_dash.orders.$orderId.tsx'));
  });

  it('has no hard-coded user-visible text in routes or components', () => {
    expect(results.flatMap((r) => r.hardCoded)).toEqual([]);
  });

  it('uses only message keys that exist in the catalog', () => {
    expect(results.flatMap((r) => r.unknownKeys)).toEqual([]);
  });

  it('has every key in both languages, none empty', () => {
    const en = Object.keys(messages.en).sort();
    expect(Object.keys(messages.ko).sort()).toEqual(en);
    for (const key of en) {
      expect(messages.en[key as keyof typeof messages.en].trim(), key).not.toBe('');
      expect(messages.ko[key as keyof typeof messages.ko].trim(), key).not.toBe('');
    }
  });

  it('catches what it is meant to catch', () => {
    const probe = ts.createSourceFile(
      'probe.tsx',
      `const A = () => <p title="Hello there">Paid (gateway) <b>{t('no.such.key')}</b></p>;`,
      ts.ScriptTarget.Latest,
      true,
      ts.ScriptKind.TSX,
    );
    const texts: string[] = [];
    const walk = (n: ts.Node) => {
      if (ts.isJsxText(n) && WORDS.test(n.text)) texts.push(n.text.trim());
      ts.forEachChild(n, walk);
    };
    walk(probe);
    expect(texts).toEqual(['Paid (gateway)']);
    expect(isMessageKey('no.such.key')).toBe(false);
  });
});
