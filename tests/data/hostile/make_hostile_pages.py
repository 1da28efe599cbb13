#!/usr/bin/python3
"""Writes the hostile article page corpus into a folder: web pages an attacker would serve behind a
feed item, each aimed at one way ExtractArticle (feeds/article.cc) can be made to crash, recurse,
or spend more than linear time or memory.

Usage: make_hostile_pages.py OUTDIR [--small]

The names say what each page attacks: its first word the kind of attack (nest, wide, jsonld,
text, attribute(s), unclosed, bytes, charset, bom, entities, formatting). Most pages also carry the
three paragraphs of a good article (GOOD, holding MARK), so that a test can check the text is
still found past the attack. Where a page puts them says whether they can come back: only the
page's first 2 MiB, 256 levels and 20,000 elements reach the HTML parse (html_text.h), so an
attack around the article hides it, and one after it must not. Sizes stay under the default
max_body (10 MiB). The output is the same on every run.

--small writes the same pages scaled down to at most 64 KiB each: the seeds fuzz/run gives
article_fuzzer. Given no -max_len, libFuzzer would cut the full pages at 1 MiB and let every
input it tries grow that large.

tests/daemon/hostile_pages_test.cc reads each page with `feedwatch parse --article` in a child
process under a time and memory limit; docs/reliability.md lists the pages and their cost.
"""
import json
import os
import random
import sys

MAX_BODY = 10 * 1024 * 1024
SMALL_PAGE = 64 * 1024
# The size of one repeated part of a page in --small (a page has at most two).
SMALL_PART = 24 * 1024
# The repeated part of the largest pages, leaving room for the rest under MAX_BODY.
NINE_MIB = 9 * 1024 * 1024

MARK = 'held in Moscow'
GOOD_SENTENCES = (
    'The Russian and American delegations met in Istanbul for a second round of consultations '
    'on the work of their embassies, the foreign ministry said.',
    'Ambassador Alexander Darchiev said the next round would be held in Moscow, and that the '
    'return of six diplomatic properties was on the agenda.',
    'The talks lasted six hours. Neither side gave a date for the next meeting, which officials '
    'expect in the spring.')
GOOD_TEXT = ' '.join(GOOD_SENTENCES)
GOOD = ''.join(f'<p>{s}</p>' for s in GOOD_SENTENCES)
FILLER = ('<p>The ministry added that further consultations on visas, banking for diplomats and '
          'the staffing of consulates would follow later in the year.</p>')
RUSSIAN = ('Посол России в США Александр Дарчиев заявил, что следующий раунд консультаций '
           'пройдет в Москве. ')

small = False


def size_of(piece):
    return len(piece.encode('utf-8', 'surrogatepass') if isinstance(piece, str) else piece)


def count(n, piece_size):
    """n, or in --small as many as fit in SMALL_PART (at least one)."""
    return min(n, max(1, SMALL_PART // max(1, piece_size))) if small else n


def rep(piece, n):
    return piece * count(n, size_of(piece))


def fill(piece, size):
    """`piece` repeated to `size` bytes (SMALL_PART in --small), whole pieces only."""
    return piece * max(1, (min(size, SMALL_PART) if small else size) // size_of(piece))


def nested(open_tag, close_tag, n, inner):
    k = count(n, len(open_tag) + len(close_tag))
    return open_tag * k + inner + close_tag * k


def page(body, head=''):
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hostile</title>' + head
            + '</head><body>' + body + '</body></html>')


def ld_script(document):
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    return f'<script type="application/ld+json">{text}</script>'


def cases():
    # Markup depth: past 256 open elements the parse stops, so an article nested deeper is not
    # read; the walk must neither recurse nor crash.
    yield 'nest-200k-divs-around-article.html', page(nested('<div>', '</div>', 200_000, GOOD))
    yield 'nest-100k-article-elements.html', page(
        nested('<article>', '</article>', 100_000, GOOD))
    yield 'nest-50k-itemprop-articlebody.html', page(
        nested('<div itemprop="articleBody">', '</div>', 50_000, GOOD))
    yield 'nest-100k-tables-after-article.html', page(
        f'<div>{GOOD}</div>' + rep('<table><tr><td>', 100_000) + 'cell')
    yield 'nest-100k-templates-after-article.html', page(
        f'<div>{GOOD}</div>' + rep('<template>', 100_000) + 'inside')
    yield 'nest-100k-svg-groups-after-article.html', page(
        f'<div>{GOOD}</div><svg>' + rep('<g>', 100_000) + '<text>inside</text>')
    # HTML integration points switch the parser between HTML and foreign content at every level.
    yield 'nest-25k-svg-math-integration-points.html', page(
        f'<div>{GOOD}</div>' + rep('<svg><foreignObject><math><mtext>', 25_000) + 'inside')

    # Width: elements without end, each scored and compared.
    yield 'wide-10k-sibling-articles.html', page(
        f'<article>{GOOD}</article>' + ''.join(
            f'<article><p>Teaser {i}: the markets closed higher on Friday as oil prices rose '
            f'and traders waited for the central bank.</p></article>'
            for i in range(count(10_000, 130))))
    yield 'wide-1m-tiny-paragraphs.html', page(f'<div>{GOOD}</div>' + rep('<p>x</p>', 1_000_000))
    yield 'wide-20k-scripts-between-paragraphs.html', page(f'<div>{GOOD}' + ''.join(
        f'<script>var slot{i} = "</p><p>not text";</script>{FILLER}'
        for i in range(count(20_000, 250))) + '</div>')
    yield 'wide-9mib-list-of-links.html', page('<ul>' + ''.join(
        f'<li><a href="/news/{i}">Markets close higher on oil, story number {i}</a></li>'
        for i in range(count(NINE_MIB // 86, 86))) + '</ul>')

    # JSON-LD: nlohmann's parse is bounded to depth 16 by its callback; the walk over the
    # objects uses a stack of its own.
    article_ld = {'@context': 'https://schema.org', '@type': 'NewsArticle',
                  'headline': 'Talks in Istanbul', 'articleBody': GOOD_TEXT}
    yield 'jsonld-200k-nested-arrays.html', page(
        f'<div>{GOOD}</div>', ld_script(rep('[', 200_000) + rep(']', 200_000)))
    depth = count(100_000, 6)
    yield 'jsonld-100k-nested-objects.html', page(f'<div>{GOOD}</div>', ld_script(
        json.dumps(article_ld)[:-1] + ', "about": ' + '{"a":' * depth + '1' + '}' * depth + '}'))
    # 100,000 entries as short as an article type gets, so that the script stays inside the
    # first 2 MiB and the walk really visits them all; the article is the last.
    graph = '{"@context":"https://schema.org","@graph":[' + rep('{"@type":"Article"},', 100_000)
    graph += json.dumps(article_ld) + ']}'
    yield 'jsonld-graph-100k-articles.html', page(f'<div>{GOOD}</div>', ld_script(graph))
    # Objects side by side in one array, as many as fit inside the cut: nlohmann-json's parse
    # with a callback looks through the whole container for a discarded value at the end of
    # each object in it.
    yield 'jsonld-660k-objects-in-one-array.html', page(
        f'<div>{GOOD}</div>', ld_script('[' + rep('{},', 660_000) + '{}]'))
    # A 9 MiB articleBody at the end of the page: past the cut, so the markup's text is read.
    yield 'jsonld-9mib-articlebody.html', page(f'<div>{GOOD}</div>' + ld_script(
        '{"@type":"NewsArticle","articleBody":"' + fill(GOOD_TEXT + ' ', NINE_MIB) + '"}'))
    # One of 1.9 MiB, inside the cut: read, split into words and compared with the page's.
    yield 'jsonld-2mib-articlebody.html', page(f'<div>{GOOD}</div>', ld_script(
        '{"@type":"NewsArticle","articleBody":"' + fill(GOOD_TEXT + ' ', 1_900_000) + '"}'))
    # An articleBody in HTML goes through HtmlToParagraphs and its limits.
    yield 'jsonld-articlebody-html-100k-nested.html', page(f'<div>{GOOD}</div>', ld_script(
        {'@type': 'NewsArticle', 'articleBody': nested('<div>', '</div>', 100_000, GOOD)}))
    yield 'jsonld-5000-scripts.html', page(
        f'<div>{GOOD}</div>',
        rep(ld_script({'@type': 'NewsArticle', 'articleBody': GOOD_SENTENCES[2]}), 5_000)
        + ld_script(article_ld))

    # Text: one node of 9 MiB (cut at 2 MiB, inside a character: the Russian is two bytes a
    # letter), and attributes too long for any tag.
    yield 'text-9mib-single-node-no-tags.html', fill(GOOD_TEXT + ' ' + RUSSIAN, NINE_MIB)
    yield 'attribute-9mib-value.html', page(
        f'<div>{GOOD}</div><div title="' + fill('x', NINE_MIB) + '">after</div>')
    # Each of 316,000 class words is compared with every hint of HintOf.
    yield 'attribute-2mib-class-of-words.html', page(
        '<div class="' + fill('qqqqq ', 1_900_000) + f'">{GOOD}</div>')

    # Constructs that run to the end of the page when unclosed.
    yield 'unclosed-comment-after-article.html', page(
        f'<div>{GOOD}</div><!-- ' + fill('<p>hidden -- > - -></p>', NINE_MIB))
    yield 'unclosed-script-after-article.html', page(
        f'<div>{GOOD}</div><script>' + fill('var a = "</scrip" + "t>"; ', NINE_MIB))
    yield 'unclosed-cdata-in-svg-after-article.html', page(
        f'<div>{GOOD}</div><svg><![CDATA[' + fill('<p>]] > ]]&gt;</p>', NINE_MIB))
    yield 'unclosed-plaintext-after-article.html', page(
        f'<div>{GOOD}</div><plaintext>' + fill('<p>plain text &amp; </p>', NINE_MIB))
    yield 'unclosed-textarea-after-article.html', page(
        f'<div>{GOOD}</div><textarea>' + fill('<p>form text</p>', NINE_MIB))

    # Bytes: invalid UTF-8 and NULs in text, tags, attribute names and values; then random
    # bytes (seeded).
    junk = b'\x00\xff\xc3\x28\xe2\x82\x00\xf0\x9f\x98\xed\xa0\x80\xc0\xaf\x00'
    good_junk = b''.join(
        b'<p' + junk[:3] + b' cl\x00ass="\xff\x00">' + s.encode() + junk + b'</p\x00>'
        for s in GOOD_SENTENCES)
    yield 'bytes-invalid-utf8-and-nul-everywhere.html', (
        b'<html\x00><head\xff><meta charset="utf-8"></head><body>' + junk + b'<div>' + good_junk
        + b'</div>' + fill(b'<d\x00iv \xff=\x00>' + junk + b'\xfe\xff\x00\x00</div>', NINE_MIB))
    yield 'bytes-9mib-random.html', random.Random(20261206).randbytes(
        SMALL_PART if small else NINE_MIB)

    # Charsets: what the page declares against what it holds.
    cyrillic = f'<p>{RUSSIAN}</p>'
    yield 'charset-windows-1251-meta-then-utf8.html', (
        '<html><head><meta charset="windows-1251"></head><body><div>' + GOOD
        + fill(cyrillic, NINE_MIB) + '</div></body></html>')
    # The same with a byte that UTF-8 cannot hold: read as windows-1251 as declared.
    yield 'charset-windows-1251-meta-then-utf8-and-a-bad-byte.html', (
        '<html><head><meta charset="windows-1251"></head><body><div>' + GOOD + '\udcff'
        + fill(cyrillic, NINE_MIB) + '</div></body></html>').encode('utf-8', 'surrogateescape')
    yield 'charset-unknown-name.html', (
        '<html><head><meta charset="x-feedwatch-unknown-charset"></head><body><div>' + GOOD
        + '</div></body></html>')
    # A name past the 1,024 bytes the meta is looked for in, and a tag past the 2 MiB cut.
    yield 'charset-9mib-name.html', (
        f'<html><body><div>{GOOD}</div><meta charset="' + fill('windows-', NINE_MIB) + '">')
    # UTF-16 and UTF-32 declared over 8-bit bytes (HTML reads a UTF-16 <meta charset> as UTF-8,
    # and knows no UTF-32).
    yield 'charset-utf16-declared.html', (
        '<html><head><meta charset="utf-16"></head><body><div>' + GOOD + fill(FILLER, 1 << 20)
        + '</div></body></html>')
    yield 'charset-utf32-declared.html', (
        '<html><head><meta charset="utf-32"></head><body><div>' + GOOD + fill(FILLER, 1 << 20)
        + '</div></body></html>')
    yield 'charset-100k-meta-elements.html', f'<html><body><div>{GOOD}</div>' + ''.join(
        f'<meta charset="{name}">' for name in
        ['windows-1251', 'koi8-r', 'utf-16', 'x-unknown'] * count(25_000, 100)) + '</body></html>'
    # UTF-16 with a byte order mark, an odd number of bytes and unpaired surrogates.
    utf16_text = page(f'<div>{GOOD}</div><div>' + fill(
        '<p>\ud800 lone \udfff surrogates</p>' + FILLER, 4 * 1024 * 1024) + '</div>')
    yield 'bom-utf16le-odd-length.html', (
        b'\xff\xfe' + utf16_text.encode('utf-16-le', 'surrogatepass') + b'\x41')
    yield 'bom-utf16be-odd-length.html', (
        b'\xfe\xff' + utf16_text.encode('utf-16-be', 'surrogatepass') + b'\x41')

    # Character references: many, escaped twice, long, and out of range.
    yield 'entities-amp-hash-x-repeated.html', page(f'<div>{GOOD}' + fill(
        '<p>' + '&amp;#x26;amp;#x41;' * 50 + '</p>', NINE_MIB) + '</div>')
    yield 'entities-1m-nbsp.html', page(
        f'<div>{GOOD}</div><div>' + rep('<p>' + '&nbsp;' * 1_000 + '</p>', 1_000) + '</div>')
    yield 'entities-long-and-invalid.html', page(f'<div>{GOOD}</div><div>' + fill(
        '<p>&' + 'a' * 40 + ';&#x' + '0' * 100 + '41;&#99999999999;&#0;&#xD800;&notin&notit;'
        '&NotNestedGreaterGreater;&#128;&</p>', NINE_MIB) + '</div>')

    # HTML5's active formatting elements: the adoption agency for 50,000 unclosed <a>s in <b><i>,
    # and formatting elements reopened in every one of 19,500 <div>s (distinct attributes escape
    # the "Noah's Ark" limit of three): elements in the square of the tags, which FindHtmlCut's
    # count of start tags does not see, so the parser's memory cap must.
    yield 'formatting-50k-unclosed-b-i-a.html', page(
        f'<div>{GOOD}</div>' + rep('<b><i><a href="/x">x', 50_000))
    yield 'formatting-250-reopened-in-20k-divs.html', page(
        f'<div>{GOOD}</div><div>' + ''.join(f'<b class="c{i}">' for i in range(250)) + '</div>'
        + rep('<div>x</div>', 19_500))

    # Attributes: gumbo looks for a duplicate among the tag's attributes before adding each.
    yield 'attributes-200k-on-one-element.html', page(
        '<div ' + ' '.join(f'a{i}=v' for i in range(count(200_000, 9))) + f'>{GOOD}</div>')


def main():
    global small
    args = sys.argv[1:]
    small = '--small' in args
    args = [a for a in args if a != '--small']
    if len(args) != 1:
        sys.exit('usage: make_hostile_pages.py OUTDIR [--small]')
    out = args[0]
    os.makedirs(out, exist_ok=True)
    names = set()
    for name, text in cases():
        assert name not in names, name
        names.add(name)
        data = text if isinstance(text, bytes) else text.encode('utf-8')
        assert len(data) <= (SMALL_PAGE if small else MAX_BODY - 64 * 1024), (name, len(data))
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
