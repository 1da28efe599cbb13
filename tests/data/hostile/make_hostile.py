#!/usr/bin/python3
"""Writes the hostile feed corpus into a folder: documents an attacker would serve, each aimed at
one way a parser can be made to crash, recurse, or spend more than linear time or memory.

Usage: make_hostile.py OUTDIR

Every document is a feed a real reader must cope with on the open internet; the names say what
each attacks. Sizes stay under the default max_body (10 MiB). tests/feeds/hostile_test.cc parses
each in a child process under a time and memory limit; docs/reliability.md lists the cases.
"""
import json
import os
import sys

RSS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            '<title>Hostile</title><link>http://127.0.0.1/</link>')
RSS_TAIL = '</channel></rss>\n'


def rss_item(title, description='', extra=''):
    return (f'<item><title>{title}</title><link>http://127.0.0.1/{abs(hash(title))}</link>'
            f'<description><![CDATA[{description}]]></description>{extra}</item>')


def rss(*items):
    return RSS_HEAD + ''.join(items) + RSS_TAIL


def atom(entries):
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            '<title>Hostile</title><id>urn:hostile</id><updated>2026-12-01T00:00:00Z</updated>'
            + entries + '</feed>\n')


def cases():
    # HTML in an item: what HtmlToText and gumbo see.
    yield 'html-form-then-150k-nested.xml', rss(rss_item(
        'form and 150,000 nested elements', '<form>' + '<x>' * 150_000))
    yield 'html-300k-unclosed-spans.xml', rss(rss_item(
        'unclosed spans', '<span>' * 50_000))
    yield 'html-200k-nested-divs-closed.xml', rss(rss_item(
        'closed nesting', '<div>' * 200_000 + 'deep' + '</div>' * 200_000))
    # Formatting elements with distinct attributes escape HTML5's "Noah's Ark" limit of three,
    # and each closed <div> makes the parser reopen every one of them: elements in the square
    # of the input.
    yield 'html-formatting-reopened.xml', rss(rss_item(
        'formatting elements reopened',
        '<div>' * 3000 + ''.join(f'<b class=c{i}>' for i in range(3000)) + '</div>x' * 3000))
    yield 'html-table-in-table.xml', rss(rss_item(
        'nested tables', '<table><tr><td>' * 30_000))
    yield 'html-many-small-fragments.xml', rss(*(rss_item(
        f'fragment {i}', '<form><table><tr><td>' + '<i>' * 200 + 'x') for i in range(3000)))
    yield 'html-unterminated-comments.xml', rss(rss_item(
        'comments', '<!--' * 200_000))
    yield 'html-unterminated-attribute.xml', rss(rss_item(
        'attribute', '<a href="' + 'x' * 2_000_000))
    yield 'html-references.xml', rss(rss_item(
        'references', '&NotNestedGreaterGreater;&#x1F600;&amp;&notit;&#128;' * 100_000))
    yield 'html-select-in-select.xml', rss(rss_item(
        'selects', '<select><option>' * 50_000))
    yield 'html-svg-deep.xml', rss(rss_item(
        'foreign content', '<svg>' + '<g>' * 100_000))
    # XML structure itself.
    yield 'xml-1m-nested-elements.xml', rss(rss_item('deep XML', extra='<a>' * 1_000_000 + '</a>' * 1_000_000))
    yield 'xml-1m-unclosed-elements.xml', rss(rss_item('unclosed XML', extra='<a>' * 1_000_000))
    # The lenient reader looks open elements up by name: 600 elements deep, then end tags that
    # close nothing, or items with no channel to close back to, must not walk the stack each.
    yield 'xml-deep-then-stray-end-tags.xml', rss(rss_item(
        'stray end tags', extra='<x>' * 600 + '</nomatch>' * 700_000))
    yield 'xml-deep-then-items-no-channel.xml', (
        '<foo>' + '<x>' * 600 + '<item><title>a</title></item>' * 250_000)
    yield 'xml-nested-namespaces.xml', rss(rss_item(
        'namespaces', extra=''.join(f'<e xmlns:p{i}="urn:{i}">' for i in range(200_000))
        + '</e>' * 200_000))
    yield 'xml-wide-items.xml', rss(*('<item><title>w</title></item>' for _ in range(300_000)))
    yield 'xml-many-attributes.xml', rss(rss_item(
        'attributes', extra='<x ' + ' '.join(f'a{i}="v"' for i in range(400_000)) + '/>'))
    # Cut off, so that the lenient reader reads them: attributes without values (each looked
    # up among the ones before it would be quadratic), and ampersands with no semicolon (each
    # searched for one to the end of the text).
    yield 'xml-truncated-400k-attributes.xml', (
        RSS_HEAD + '<item><title>t</title><x ' + ' '.join(f'a{i}' for i in range(400_000)) + '/>')
    yield 'xml-truncated-4m-ampersands.xml', RSS_HEAD + '<item><title>' + '&' * 4_000_000
    # A million distinct names that are no HTML5 reference, each once (a cache would not help).
    yield 'xml-truncated-1m-unknown-references.xml', (
        RSS_HEAD + '<item><title>' + ''.join(f'&q{i:x};' for i in range(1_000_000)))
    # xml:base is looked up on every ancestor of a link: a root of 300,000 attributes and an
    # entry of 100,000 enclosures, all inside one entry (the parse budget is checked between).
    yield 'atom-wide-root-many-enclosures.xml', (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        + ' '.join(f'a{i}=""' for i in range(300_000)) + '><title>Hostile</title>'
        '<entry><id>urn:1</id><title>enclosures</title>'
        + '<link rel="enclosure" href="e"/>' * 100_000 + '</entry></feed>\n')
    yield 'xml-long-title.xml', rss(rss_item('Lorem ' * 1_300_000))
    # One word of 400,000 alternating combining marks after a letter: Unicode folding orders
    # a run of marks by swapping neighbours (matching, not parsing: the `once` test reads it).
    yield 'rss-combining-marks-run.xml', rss(rss_item(
        'Darchiev marks', 'Darchiev E' + '\u0301\u0327' * 200_000 + ' Moscow'))
    yield 'xml-same-guid-repeated.xml', rss(*(
        '<item><guid>same</guid><title>t</title><description>&lt;p&gt;x</description></item>'
        for _ in range(100_000)))
    yield 'atom-xhtml-200k-nested.xml', atom(
        '<entry><id>urn:1</id><title>xhtml</title><content type="xhtml">'
        '<div xmlns="http://www.w3.org/1999/xhtml">' + '<div>' * 200_000 + 'x'
        + '</div>' * 200_000 + '</div></content></entry>')
    yield 'atom-xhtml-unclosed.xml', atom(
        '<entry><id>urn:1</id><title>xhtml</title><content type="xhtml">'
        '<div xmlns="http://www.w3.org/1999/xhtml">' + '<span>' * 300_000)
    yield 'rss-deep-malformed-doctype.xml', (
        '<?xml version="1.0"?><!DOCTYPE rss [' + '<!ENTITY a "b">' * 100_000 + ']>'
        + rss(rss_item('doctype')))
    # JSON Feed.
    head = '{"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": '
    yield 'json-content-html-nested.json', head + json.dumps([{
        'id': '1', 'title': 'deep html', 'content_html': '<form>' + '<x>' * 150_000}]) + '}'
    yield 'json-1m-nested-arrays.json', head + '[{"id": "1", "title": "t", "x": ' + '[' * 1_000_000 + ']' * 1_000_000 + '}]}'
    yield 'json-1m-nested-unclosed.json', head + '[{"id": "1", "x": ' + '{"a":' * 500_000
    yield 'json-wide-items.json', head + json.dumps([{'id': str(i), 'title': 't'} for i in range(200_000)]) + '}'
    # Width inside an item, and at the root: a JSON parser with a callback looks through a
    # container each time a member of it ends (quadratic; feeds/internal/json_shape.h).
    yield 'json-item-1m-objects-in-one-array.json', (
        head + '[{"id": "1", "title": "t", "attachments": [' + ','.join(['{}'] * 1_000_000) + ']}]}')
    yield 'json-root-array-1m-objects.json', '[' + ','.join(['{}'] * 1_000_000) + ']'
    # The look covers numbers too: a few thousand objects after millions of zeros, in an item
    # (refused), and in "items" itself (read: its reader keeps none of its members there).
    yield 'json-item-objects-after-4m-numbers.json', (
        head + '[{"id": "1", "title": "t", "x": [' + '0,' * 4_000_000 + ','.join(['{}'] * 5000)
        + ']}]}')
    yield 'json-items-4m-numbers-then-objects.json', (
        head + '[' + '0,' * 4_000_000 + ','.join(['{"id": "i", "title": "t"}'] * 5000) + ']}')
    # Repetition at its cheapest: the most items a body holds (max_items reads 2,000 of them).
    yield 'rss-1m-empty-items.xml', RSS_HEAD + '<item/>' * 1_350_000 + RSS_TAIL
    yield 'json-3m-empty-items.json', head + '[' + ','.join(['{}'] * 3_100_000) + ']}'
    # A flood of matches: 50,000 new items that a watch on Darchiev matches, each headline
    # unlike the others (or they would be one story): max_items reads 2,000, max_alerts sends
    # 100 of those and sums up the rest.
    words = [f'w{n:03d}' for n in range(997)]
    yield 'rss-50k-matching-items.xml', rss(*(
        f'<item><title>Darchiev {" ".join(words[(i * k * 7919) % 997] for k in range(1, 7))}'
        f'</title><link>http://127.0.0.1/flood/{i}</link><guid>flood-{i}</guid></item>'
        for i in range(50_000)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, text in cases():
        data = text.encode('utf-8')
        assert len(data) <= 10 * 1024 * 1024, (name, len(data))
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
