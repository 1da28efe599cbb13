#!/usr/bin/python3
"""Builds a loopback "news web" from labelled articles, for testing `fetch_articles = true`.

Usage: make_site.py ARTICLES_JSONL OUTDIR BASE_URL [--split tune|held-out|all]

The feeds carry only headline, link, id, date and lede; the body is only on the article's page,
among menus, teasers, comments and scripts that name other stories of the same beat. Writes:

  OUTDIR/feeds/OUTLET.{xml,atom,json}  one feed per outlet, and feeds/aggregator.xml
  OUTDIR/site/...                      the pages, at their URL paths (serve site/ at BASE_URL)
  OUTDIR/manifest.json                 per article: id, outlet, split, evidence, shape, links...
  OUTDIR/feeds.txt                     NAME<TAB>URL-path of every feed, for [[feed]] tables

Every choice is seeded by a hash of the article id, so the output depends only on the input,
except the items' dates: now minus up to three hours, newest first, so that a daemon's initial
look-back keeps them. Standard library only (Debian 12's python3). README.md, "make_site.py",
says what the pages get wrong on purpose.
"""
import argparse
import datetime
import email.utils
import hashlib
import html
import json
import os
import random
import re
import shutil
import unicodedata
from html.parser import HTMLParser

# The date in URLs, on pages and in JSON-LD: fixed, so that pages are the same on every run.
NOMINAL = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.timezone.utc)
MSK = datetime.timezone(datetime.timedelta(hours=3))
MONTHS = 'jan feb mar apr may jun jul aug sep oct nov dec'.split()
SHAPES = ('jsonld', 'itemprop', 'article', 'none')  # shapes a, b, c, d of README.md

# outlet -> (display name, URL style, feed format: rss, rss1251, atom or json). Any other outlet:
# its name from NAMES (or its id), WordPress-like URLs ('wp') in English or 'runews' in Russian,
# RSS in UTF-8.
OUTLETS = {
    'tass-en': ('TASS', 'tass', 'rss'), 'tass': ('ТАСС', 'tass', 'rss'),
    'ria': ('РИА Новости', 'ria', 'rss'), 'interfax': ('Интерфакс', 'interfax', 'rss1251'),
    'kommersant': ('Коммерсантъ', 'kommersant', 'rss1251'),
    'mid-ru': ('МИД России', 'mid', 'rss'), 'rbc': ('РБК', 'rbc', 'rss'),
    'izvestia': ('Известия', 'izvestia', 'rss'), 'lenta': ('Лента.ру', 'lenta', 'rss'),
    'reuters': ('Reuters', 'reuters', 'rss'), 'ap': ('AP News', 'ap', 'atom'),
    'afp': ('AFP', 'wp', 'atom'), 'politico': ('Politico', 'politico', 'atom'),
    'guardian': ('The Guardian', 'guardian', 'rss'), 'meduza-en': ('Meduza', 'meduza', 'json'),
    'moscowtimes': ('The Moscow Times', 'wp', 'rss'), 'rferl': ('RFE/RL', 'wp', 'atom'),
    'state-gov': ('U.S. Department of State', 'stategov', 'rss'),
    'aa-en': ('Anadolu Agency', 'aa', 'rss'),
}
NAMES = {'trtworld': 'TRT World', 'kyivindependent': 'The Kyiv Independent', 'meduza': 'Медуза',
         'aljazeera': 'Al Jazeera', 'gazeta-ru': 'Газета.Ru', 'newsweek': 'Newsweek',
         'rg': 'Российская газета', 'rusemb-usa': 'Посольство России в США', 'rt-en': 'RT',
         'rt-ru': 'RT на русском', 'cnn': 'CNN', 'dw-en': 'DW', 'bbc': 'BBC News',
         'vedomosti': 'Ведомости', 'nbcnews': 'NBC News', 'thehill': 'The Hill', 'ntv': 'НТВ',
         'semafor': 'Semafor', 'finam': 'Финам', 'vesti': 'Вести', 'cbsnews': 'CBS News',
         'independent': 'The Independent', 'foreignpolicy': 'Foreign Policy', 'ft': 'FT',
         'responsiblestatecraft': 'Responsible Statecraft', 'warontherocks': 'War on the Rocks',
         'nationalinterest': 'The National Interest'}

# Page furniture by language. A comment's '{t}' is another article's headline.
CHROME = {
    'en': dict(
        nav=['World', 'U.S.', 'Europe', 'Russia', 'Ukraine', 'Middle East', 'Business', 'Markets',
             'Politics', 'Opinion', 'Video', 'Podcasts', 'Sports', 'Science', 'Newsletters'],
        cookie='We use cookies and similar technologies to personalise content and ads, to provide '
               'social media features and to analyse our traffic. We also share information about '
               'your use of our site with our social media, advertising and analytics partners, '
               'who may combine it with other information that you have provided to them.',
        accept='Accept all', settings='Manage preferences', newsletter_h='The Morning Briefing',
        newsletter='Get the most important stories on Russia, Ukraine and world diplomacy in your '
                   'inbox every weekday morning, with analysis from our correspondents.',
        subscribe='Sign up', email='Your email address', most_read='Most read',
        related='Related coverage', read_also='Read also', share='Share', by='By',
        comments='{n} comments', leave='Leave a reply', reply='Reply', says='says:',
        footer='© 2026 {name}. All rights reserved. Reproduction of material from this site is '
               'permitted only with a hyperlink to the original publication. Opinions expressed '
               'in columns are those of the authors and do not necessarily reflect our views.',
        footer_links=['About us', 'Contact', 'Advertise', 'Careers', 'Privacy policy',
                      'Terms of use', 'Cookie policy', 'Accessibility', 'RSS'],
        captions=['The State Department building in Washington. File photo',
                  'Flags of Russia and the United States. Illustrative photo',
                  'The Kremlin in Moscow, seen from the Bolshoy Moskvoretsky Bridge. File photo',
                  'Journalists wait outside the venue of the talks. File photo',
                  "A gate of the former Russian compound on Maryland's Eastern Shore, closed in "
                  '2016. File photo'],
        authors=['Daniel Hale', 'Anna Volkova', 'Mark Ellison', 'Sarah Klein', 'Tom Brennan'],
        commenters=['Margaret H.', 'oldhand_dc', 'Peter K.', 'jgreen', 'Vlad from Ohio', 'L. M.'],
        comment_tpl=['Same old story. Every few months we read that talks are coming, and nothing '
                     'changes for ordinary people who just want a visa to visit their families.',
                     'Did anyone else read "{t}"? Looks like the same story from another angle.',
                     'Thanks for a balanced report. The TV coverage of this was much worse.',
                     'I worked at a consulate in the nineties. Back then there were hundreds of '
                     'staff on both sides, and nobody thought it strange that diplomats had '
                     'somewhere to go at weekends.',
                     'Why is nobody following up on "{t}"? That seemed like the bigger news to me.',
                     'Both sides are playing for time, as usual. Wake me up when something is '
                     'signed.'],
        tag_pool=['Russia', 'United States', 'Diplomacy', 'State Department', 'Kremlin',
                  'Ukraine', 'Foreign policy', 'Sanctions', 'Europe', 'World'],
        credits='Reporting by {a}; Editing by {b}'),
    'ru': dict(
        nav=['Политика', 'В мире', 'Экономика', 'Общество', 'Происшествия', 'Армия', 'Наука',
             'Культура', 'Спорт', 'Москва', 'США', 'Европа', 'Украина', 'Фото', 'Видео'],
        cookie='Мы используем файлы cookie и аналогичные технологии, чтобы персонализировать '
               'контент и рекламу, обеспечивать работу функций социальных сетей и анализировать '
               'трафик. Продолжая пользоваться сайтом, вы соглашаетесь с политикой обработки '
               'персональных данных и передачей сведений нашим партнерам по аналитике и рекламе.',
        accept='Принять', settings='Настроить', newsletter_h='Главное за день',
        newsletter='Подпишитесь на нашу рассылку: самые важные новости о политике, экономике и '
                   'международных отношениях каждое утро в вашем почтовом ящике. Это бесплатно.',
        subscribe='Подписаться', email='Ваш e-mail', most_read='Самое читаемое',
        related='Материалы по теме', read_also='Читайте также', share='Поделиться', by='Автор:',
        comments='Комментарии ({n})', leave='Оставить комментарий', reply='Ответить',
        says='пишет:',
        footer='© 2026 {name}. Все права защищены. Использование материалов сайта допускается '
               'только при наличии гиперссылки на источник. Мнение авторов колонок может не '
               'совпадать с позицией редакции. Сетевое издание зарегистрировано Роскомнадзором.',
        footer_links=['О редакции', 'Контакты', 'Реклама', 'Вакансии', 'Правила использования',
                      'Политика конфиденциальности', 'Обратная связь', 'RSS'],
        captions=['Здание Государственного департамента США в Вашингтоне. Архивное фото',
                  'Флаги России и США. Иллюстративное фото',
                  'Здание МИД России на Смоленской площади в Москве. Архивное фото',
                  'Журналисты у места проведения переговоров. Архивное фото',
                  'Ворота бывшей российской дачи в штате Мэриленд, закрытой в 2016 году. '
                  'Архивное фото'],
        authors=['Анна Смирнова', 'Павел Орлов', 'Елена Кузнецова', 'Игорь Белов', 'Мария Лось'],
        commenters=['Сергей_М', 'Наталья', 'ivan1978', 'Пенсионер из Твери', 'Алекс', 'Ольга В.'],
        comment_tpl=['Опять двадцать пять. Каждые полгода пишут, что вот-вот договорятся, а визы '
                     'как не давали, так и не дают, и люди годами не видят родственников.',
                     'Кто читал «{t}»? По-моему, это про то же самое.',
                     'Спасибо за нормальный текст без истерики, редкость по нынешним временам.',
                     'Работал в консульстве в девяностые. Тогда сотрудников с обеих сторон были '
                     'сотни, и никто не считал странным, что у дипломатов есть куда поехать на '
                     'выходные.',
                     'Почему никто не пишет продолжение про «{t}»? По-моему, это поважнее.',
                     'Обе стороны тянут время, как обычно. Разбудите, когда что-нибудь подпишут.'],
        tag_pool=['Политика', 'США', 'Россия', 'МИД России', 'Госдепартамент США', 'Кремль',
                  'Украина', 'Дипломатия', 'Санкции', 'В мире'],
        credits='Подготовили {a} и {b}'),
}
TRANSLIT = dict(zip('абвгдеёжзийклмнопрстуфхцчшщъыьэюя',
                    'a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya'
                    .split(' '), strict=True))


# --- helpers ---------------------------------------------------------------------------------

def digest(*parts):
    return hashlib.sha1('\x1f'.join(map(str, parts)).encode()).hexdigest()


def rng_for(*parts):
    """A random generator seeded by the parts (not by Python's per-run string hash)."""
    return random.Random(digest(*parts))


def esc(text):
    return html.escape(text, quote=False)


def attr(text):
    return html.escape(text, quote=True)


def script_json(obj, ascii_only=False):
    """JSON for a <script>: '</' escaped so that no string in it ends the element."""
    return json.dumps(obj, ensure_ascii=ascii_only).replace('</', '<\\/')


def slugify(title):
    latin = unicodedata.normalize('NFKD', ''.join(TRANSLIT.get(ch, ch) for ch in title.lower()))
    return '-'.join(re.findall(r'\w+', latin, re.ASCII)[:7])[:70].strip('-') or 'news'


class Fragment(HTMLParser):
    """An HTML `content` read two ways: its top-level elements as they are written (`chunks`,
    to put furniture between them) and its text blocks (`blocks`, for JSON-LD and checks)."""
    BLOCKS = {'p', 'div', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote',
              'table', 'tr', 'td', 'section', 'article', 'figure', 'br', 'hr', 'dd', 'dt'}
    VOID = {'br', 'hr', 'img', 'input', 'meta', 'link', 'source', 'wbr'}

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.markup, self.depth, self.start = markup, 0, 0
        self.line_starts = [0] + [m.end() for m in re.finditer('\n', markup)]
        self.chunks, self.blocks, self.text = [], [], ''
        self.feed(markup)
        self.close()
        self.flush()

    def position(self):  # offset of the tag being handled
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def flush(self):
        if self.text.strip():
            self.blocks.append(' '.join(self.text.split()))
        self.text = ''

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.flush()
        if tag in self.VOID:
            if self.depth == 0:
                self.chunks.append(self.get_starttag_text())
            return
        if self.depth == 0:
            self.start = self.position()
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.flush()
        if tag in self.VOID:
            return
        self.depth -= 1
        if self.depth == 0:
            end = self.markup.index('>', self.position()) + 1
            self.chunks.append(self.markup[self.start:end])

    def handle_data(self, data):
        self.text += data
        if self.depth == 0 and data.strip():  # stray top-level text: a paragraph of its own
            self.chunks.append('<p>' + esc(data.strip()) + '</p>')


def is_html(content):
    return re.search(r'<(p|div|h\d|ul|blockquote)[\s>]', content) is not None


def paragraphs(article):
    """The body as plain-text paragraphs, in order: what a reader reads."""
    if is_html(article['content']):
        return Fragment(article['content']).blocks
    return [' '.join(p.split()) for p in re.split(r'\n\s*\n', article['content']) if p.strip()]


def body_chunks(article, ptag='<p>', typographic=False):
    """The body as HTML blocks, each paragraph opened by `ptag`. Plain text: a lone line break
    becomes <br>; HTML: its own top-level elements, kept as written but for `ptag`."""
    close = '</' + re.match(r'<(\w+)', ptag)[1] + '>'
    if is_html(article['content']):
        return [c.replace('<p>', ptag).replace('</p>', close)
                for c in Fragment(article['content']).chunks]
    out = []
    for para in re.split(r'\n\s*\n', article['content'].strip()):
        text = '<br>'.join(esc(line.strip()) for line in para.strip().split('\n'))
        if typographic:  # Kommersant writes its quotes and dashes as entities
            for ch, ent in (('«', '&laquo;'), ('»', '&raquo;'), ('—', '&mdash;'), ('–', '&ndash;')):
                text = text.replace(ch, ent)
        out.append(ptag + text + close)
    return out


# --- URLs ------------------------------------------------------------------------------------

def page_path(article, style):
    """The article's URL path in its outlet's style (numbers and hashes from the id)."""
    h = digest('path', article['id'])
    n, slug, d = int(h[:12], 16), slugify(article['title']), NOMINAL
    return {
        'tass': f"/{'politika' if article['lang'] == 'ru' else 'politics'}/{n % 9000000 + 1000000}",
        'ria': f"/{d:%Y%m%d}/{slug.split('-')[0]}-{n % 900000000 + 1900000000}.html",
        'interfax': f'/world/{n % 900000 + 1000000}',
        'kommersant': f'/doc/{n % 900000 + 7100000}',
        'mid': f'/ru/foreign_policy/news/{n % 900000 + 1900000}/',
        'rbc': f'/politics/{d:%d/%m/%Y}/{h[12:36]}',
        'izvestia': f'/{n % 900000 + 1800000}/{d:%Y-%m-%d}/{slug}',
        'lenta': f'/news/{d:%Y/%m/%d}/{slug}/',
        'reuters': f'/world/europe/{slug}-{d:%Y-%m-%d}/',
        'ap': f'/article/{slug}-{h[12:44]}',
        'politico': f'/news/{d:%Y/%m/%d}/{slug}-{n % 90000000 + 10000000}',
        'guardian': f'/world/{d:%Y}/{MONTHS[d.month - 1]}/{d:%d}/{slug}',
        'meduza': f'/en/news/{d:%Y/%m/%d}/{slug}',
        'stategov': f'/releases/office-of-the-spokesperson/{d:%Y/%m}/{slug}',
        'aa': f'/en/world/{slug}/{n % 9000000 + 1000000}',
        'wp': f'/{d:%Y/%m/%d}/{slug}/',
        'runews': f'/news/{d:%Y/%m/%d}/{n % 90000000 + 10000000}.shtml',
    }[style]


def tracking(article, copy):
    """A feed link's query string: about a third of outlet links carry tracking parameters,
    and both copies of a duplicated article do, different ones."""
    if copy == 'aggregator':
        return '?utm_source=aggregator&utm_medium=rss&utm_campaign=top-stories'
    r = rng_for('track', article['id'], copy)
    if not article['duplicated'] and r.random() >= 1 / 3:
        return ''
    if article['lang'] == 'ru':
        return r.choice(['?from=rss', '?utm_source=rss&utm_medium=feed'])
    return r.choice(['?utm_source=rss&utm_medium=feed',
                     '?utm_source=rss&utm_medium=feed&utm_campaign=world'])


# --- page furniture, shared by the four shapes ---------------------------------------------------

class Page:
    """What a page is built from: the article, its outlet's name, the furniture strings of its
    language and its own random generator. Shape d's classes are hashed ("c-1x9f2") and its
    semantic elements (header, nav, aside, footer, figure) plain <div>s."""

    def __init__(self, a, base):
        self.a, self.base, self.name = a, base, a['name']
        self.s, self.r = CHROME[a['lang']], rng_for('page', a['id'])
        self.hashed = a['shape'] == 'none'
        self.url = base + a['path']
        self.time = NOMINAL - datetime.timedelta(minutes=int(digest('t', a['id'])[:4], 16) % 600)

    def c(self, name):
        return 'c-' + digest(self.a['outlet'], name)[:5] if self.hashed else name

    def tag(self, name):
        return 'div' if self.hashed else name


def nav(p):
    items = ''.join(f'<li class="{p.c("nav__item")}"><a href="/{slugify(x)}/">{esc(x)}</a></li>'
                    for x in p.s['nav'])
    return (f'<{p.tag("header")} class="{p.c("site-header")}"><div class="{p.c("logo")}">'
            f'<a href="/"><img src="/static/logo.svg" alt="{attr(p.name)}" width="150"></a></div>'
            f'<form class="{p.c("search")}" action="/search/"><input name="q"><button>🔍</button>'
            f'</form><{p.tag("nav")} class="{p.c("main-nav")}"><ul class="{p.c("nav__list")}">'
            f'{items}</ul></{p.tag("nav")}></{p.tag("header")}>\n')


def cookie_banner(p):
    # Shape d's sites use a third-party consent manager, which keeps its own names.
    ids = ('id="onetrust-banner-sdk" class="otFlat"' if p.hashed
           else 'class="cookie-banner" id="cookie-consent"')
    return (f'<div {ids} role="dialog"><p>{esc(p.s["cookie"])}</p><button>{esc(p.s["accept"])}'
            f'</button> <button>{esc(p.s["settings"])}</button></div>\n')


def newsletter(p):
    return (f'<div class="{p.c("newsletter-box")}"><div class="{p.c("newsletter__title")}">'
            f'{esc(p.s["newsletter_h"])}</div><p>{esc(p.s["newsletter"])}</p><form '
            f'action="/subscribe"><input type="email" placeholder="{attr(p.s["email"])}">'
            f'<button>{esc(p.s["subscribe"])}</button></form></div>\n')


def share(p, cls='social-share'):
    links = ''.join(f'<a href="https://share.example/{n.lower()}?u={attr(p.url)}" '
                    f'class="{p.c("share__" + n.lower())}">{n}</a>'
                    for n in ['Telegram', 'VK', 'X', 'Facebook', 'WhatsApp'])
    return f'<div class="{p.c(cls)}"><span>{esc(p.s["share"])}</span>{links}</div>\n'


def figure(p, caption):
    f, fc = p.tag('figure'), p.tag('figcaption')
    return (f'<{f} class="{p.c("media")}"><img src="/images/{digest(p.a["id"], caption)[:12]}.jpg" '
            f'alt="{attr(caption)}" width="960" height="540" loading="lazy"><{fc} '
            f'class="{p.c("media__caption")}">{esc(caption)}</{fc}></{f}>\n')


def most_read(p, items, cls='most-read'):
    """The sidebar: most-read headlines (other articles) and the newsletter box."""
    lis = ''.join(f'<li><a href="{attr(o["path"])}">{esc(o["title"])}</a></li>' for o in items)
    return (f'<{p.tag("aside")} class="{p.c("sidebar")}"><div class="{p.c(cls)}"><h3>'
            f'{esc(p.s["most_read"])}</h3><ol>{lis}</ol></div>{newsletter(p)}</{p.tag("aside")}>\n')


def related(p, items, excerpts, attrs=None):
    """Related coverage; with excerpts, each teaser carries the other article's lede."""
    out = []
    for o in items:
        ex = (f'<p class="{p.c("teaser__lede")}">{esc(o["summary"])}</p>'
              if excerpts and o['summary'] else '')
        out.append(f'<div class="{p.c("teaser")}"><a href="{attr(o["path"])}"><h3>'
                   f'{esc(o["title"])}</h3></a>{ex}</div>')
    attrs = attrs or f'class="{p.c("related")}"'
    return f'<div {attrs}><h2>{esc(p.s["related"])}</h2>{"".join(out)}</div>\n'


def tags(p, cls='tags'):
    chosen = p.r.sample(p.s['tag_pool'], 4)
    links = ''.join(f'<a href="/tag/{slugify(t)}/">{esc(t)}</a> ' for t in chosen)
    return f'<div class="{p.c(cls)}">{links}</div>\n'


def footer(p, attrs=''):
    links = ' | '.join(f'<a href="/{slugify(x)}/">{esc(x)}</a>' for x in p.s['footer_links'])
    legal = esc(p.s['footer'].format(name=p.name))
    return (f'<{p.tag("footer")} class="{p.c("site-footer")}"{attrs}><div '
            f'class="{p.c("footer__links")}">{links}</div><p class="{p.c("footer__legal")}">'
            f'{legal}</p></{p.tag("footer")}>\n')


def analytics(p):
    return ('<script async src="https://analytics.example/gtag/js?id=G-8H2K4"></script>\n'
            '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push('
            'arguments);}gtag("js",new Date());gtag("config","G-8H2K4",{"page_path":'
            f'{json.dumps(p.a["path"])}}});</script>\n')


def app_state(p, items, ascii_only=False):
    """Inline application state, as rendered-on-the-server apps leave it: the headlines and
    ledes of other articles, which a page reader must not take for this one's."""
    state = {'page': {'type': 'article', 'id': p.a['id'], 'section': 'world'},
             'recommendations': [{'title': o['title'], 'description': o['summary'],
                                  'url': o['path']} for o in items]}
    return f'<script>window.__INITIAL_STATE__ = {script_json(state, ascii_only)};</script>\n'


AMP_ANALYTICS = ('<amp-analytics type="gtag" data-credentials="include"><script '
                 'type="application/json">{"vars": {"gtag_id": "G-8H2K4", "config": '
                 '{"G-8H2K4": {"groups": "default"}}}}</script></amp-analytics>\n')


def news_article(p, body=None, kind='NewsArticle'):
    """A schema.org NewsArticle for JSON-LD, with an articleBody if `body` is given."""
    t = p.time.isoformat()
    obj = {'@type': kind, 'headline': p.a['title'], 'description': p.a['summary'],
           'url': p.url, 'mainEntityOfPage': p.url, 'datePublished': t, 'dateModified': t,
           'inLanguage': p.a['lang'], 'image': [p.base + '/images/lead.jpg'],
           'author': {'@type': 'Organization', 'name': p.name},
           'publisher': {'@type': 'Organization', 'name': p.name,
                         'logo': {'@type': 'ImageObject', 'url': p.base + '/static/logo.svg'}}}
    if body is not None:
        obj['articleBody'] = body
    return obj


def jsonld(p, obj, graph=False, invalid=False, ascii_only=False):
    """The JSON-LD script: `obj` at the top or in an @graph. `invalid` breaks the JSON as
    templates do: quotes and line breaks pasted in raw, or (nothing to break) the text cut."""
    if graph:
        site = {'@type': 'WebSite', 'name': p.name, 'url': p.base + '/'}
        doc = {'@context': 'https://schema.org', '@graph': [obj, site]}
    else:
        doc = dict({'@context': 'https://schema.org'}, **obj)
    text = script_json(doc, ascii_only)
    if invalid:
        body = script_json(obj['articleBody'], ascii_only)
        text = text.replace(body, body.replace('\\"', '"').replace('\\n', '\n'))
        try:
            json.loads(text)
            text = text[:text.index('"articleBody"') + 15 + len(body) // 2]
        except ValueError:
            pass
    return f'<script type="application/ld+json">{text}</script>\n'


def head(p, charset_meta, extra=''):
    a = p.a
    return (f'<head>\n{charset_meta}\n<meta name="viewport" content="width=device-width">\n'
            f'<title>{esc(a["title"])} - {esc(p.name)}</title>\n'
            f'<meta name="description" content="{attr(a["summary"])}">\n'
            f'<meta property="og:title" content="{attr(a["title"])}">\n'
            f'<meta property="og:description" content="{attr(a["summary"])}">\n'
            f'<meta property="og:url" content="{attr(p.url)}">\n'
            f'<meta property="og:type" content="article">\n'
            f'<link rel="canonical" href="{attr(p.url)}">\n'
            f'<link rel="stylesheet" href="/static/site.css?v={digest(p.name)[:8]}">\n'
            f'{extra}</head>\n')


def byline(p):
    return f'{esc(p.s["by"])} {esc(p.r.choice(p.s["authors"]))}'


def with_read_also(chunks, teasers, render):
    """The body's blocks with read-also teasers after the 2nd and the 4th (not after the last)."""
    out, teasers = [], list(teasers)
    for i, chunk in enumerate(chunks):
        out.append(chunk)
        if teasers and i in (1, 3) and i < len(chunks) - 1:
            out.append(render(teasers.pop(0)))
    return '\n'.join(out)


# --- the four shapes -------------------------------------------------------------------------
# Each takes the Page and the other articles to show (same outlet first) and returns the HTML and
# what the manifest should say about it.

def shape_jsonld(p, o):
    """(a) Agency (TASS/RIA-like, Next.js): JSON-LD articleBody, sometimes wrong; the visible
    body in div blocks, paragraphs often <div>s rather than <p>s; the app state has the text."""
    r, a, s = p.r, p.a, p.s
    paras = paragraphs(a)
    fault = r.choices(['full', 'first-paragraph', 'description', 'invalid'], [7, 1, 1, 1])[0]
    joined = r.choice(['\n', '\n\n', ' ']).join(paras)
    first = paras[0] if paras else ''
    body = {'first-paragraph': first, 'description': a['summary']}.get(fault, joined)
    graph = r.random() < 0.5
    ld = jsonld(p, news_article(p, body), graph, invalid=fault == 'invalid')
    div_paras = r.random() < 0.6
    ptag = '<div class="article__text">' if div_paras else '<p>'
    chunks = [f'<div class="article__block" data-type="text">{c}</div>'
              for c in body_chunks(a, ptag)]

    def teaser(x):
        return (f'<div class="article__block" data-type="article"><div class="article__article">'
                f'<div class="article__article-label">{esc(s["read_also"])}</div><a href='
                f'"{attr(x["path"])}" class="article__article-title">{esc(x["title"])}</a>'
                '</div></div>')

    next_data = {'props': {'pageProps': {
        'article': {'id': a['id'], 'title': a['title'], 'lead': a['summary'], 'text': a['content']},
        'related': [{'title': x['title'], 'lead': x['summary']} for x in o[:5]]}}}
    page = (f'<!DOCTYPE html>\n<html lang="{a["lang"]}">\n' + head(p, '<meta charset="utf-8">', ld)
            + '<body class="body m-article">\n' + cookie_banner(p) + nav(p)
            + '<div class="layout-article"><div class="layout-article__main">\n'
            f'<div class="article" data-article-id="{digest(a["id"])[:10]}">\n'
            f'<div class="article__header"><div class="article__info-date"><a href="/'
            f'{NOMINAL:%Y%m%d}/">{p.time:%H:%M %d.%m.%Y}</a></div>'
            f'<h1 class="article__title">{esc(a["title"])}</h1></div>\n'
            + figure(p, r.choice(s['captions'])) + '<div class="article__body">\n'
            + with_read_also(chunks, o[:2], teaser) + '\n</div>\n' + tags(p) + share(p)
            + related(p, o[2:6], excerpts=False) + '</div>\n</div>\n' + most_read(p, o[:6])
            + '</div>\n' + footer(p) + analytics(p)
            + f'<script id="__NEXT_DATA__" type="application/json">{script_json(next_data)}'
            '</script>\n</body>\n</html>\n')
    return page, {'jsonld': fault, 'jsonld_graph': graph, 'paragraphs': 'div' if div_paras else 'p'}


def shape_itemprop(p, o):
    """(b) Interfax/Kommersant-like: <p>s in an itemprop="articleBody" element. Some Russian
    pages are windows-1251 (their scripts then escape non-ASCII, as PHP's json_encode does)."""
    r, a, s = p.r, p.a, p.s
    cp1251 = a['lang'] == 'ru' and r.random() < 0.45
    meta = '<meta charset="utf-8">'
    if cp1251:
        meta = r.choice(['<meta charset="windows-1251">', '<meta http-equiv="Content-Type" '
                         'content="text/html; charset=windows-1251">'])
    ld, kind = '', 'none'
    if r.random() < 0.4:  # JSON-LD on some: mostly right, sometimes the lede alone
        kind = r.choice(['full', 'full', 'description'])
        body = '\n'.join(paragraphs(a)) if kind == 'full' else a['summary']
        ld = jsonld(p, news_article(p, body), ascii_only=cp1251)
    container = r.choice(['div', 'article'])
    typographic = a['lang'] == 'ru' and r.random() < 0.5
    chunks = body_chunks(a, '<p>', typographic)
    if r.random() < 0.5:  # as on Kommersant, the author line is the body's last <p>
        chunks.append(f'<p class="doc__text document_authors">{esc(r.choice(s["authors"]))}</p>')

    def teaser(x):
        return (f'<div class="read-also-inline"><b>{esc(s["read_also"])}:</b> '
                f'<a href="{attr(x["path"])}">{esc(x["title"])}</a></div>')

    page = (f'<!DOCTYPE html>\n<html lang="{a["lang"]}">\n' + head(p, meta, ld)
            + '<body>\n<div id="wrapper">\n' + cookie_banner(p) + nav(p)
            + '<div id="content" class="content-columns"><div class="leftColumn">\n'
            '<div class="article" itemscope itemtype="http://schema.org/NewsArticle">\n'
            f'<div class="textMTitle"><h1 itemprop="headline">{esc(a["title"])}</h1></div>\n'
            f'<div class="article_meta"><time itemprop="datePublished" datetime="'
            f'{p.time.isoformat()}">{p.time:%d.%m.%Y %H:%M}</time> <span class="author">'
            f'{byline(p)}</span></div>\n' + figure(p, r.choice(s['captions']))
            + f'<{container} itemprop="articleBody" class="text-content">\n'
            + with_read_also(chunks, o[:1], teaser) + f'\n</{container}>\n' + tags(p) + share(p)
            + '</div>\n' + related(p, o[1:5], excerpts=r.random() < 0.5) + '</div>\n'
            '<div class="rightColumn">' + most_read(p, o[:6]) + '</div></div>\n' + footer(p)
            + '</div>\n' + analytics(p) + app_state(p, o[:6], cp1251) + '</body>\n</html>\n')
    if cp1251 and r.random() < 0.5:
        page = page.replace('\n', '\r\n')
    return page, {'jsonld': kind, 'container': container, 'typographic': typographic,
                  'encoding': 'windows-1251' if cp1251 else 'utf-8'}


def shape_article(p, o):
    """(c) WordPress: article.post > div.entry-content with a read-also block, Jetpack share and
    related posts; tags; post navigation; comments (each an <article> too); widgets; Yoast
    JSON-LD without articleBody. About one in seven is an AMP page."""
    r, a, s = p.r, p.a, p.s
    amp = r.random() < 0.15
    post = int(digest(a['id'])[:4], 16)
    ld = jsonld(p, news_article(p, kind='Article'), graph=True)
    comments = []
    for i, who in enumerate(r.sample(s['commenters'], r.randint(3, 6))):
        text = r.choice(s['comment_tpl']).format(t=o[(i + 2) % len(o)]['title'])
        when = NOMINAL + datetime.timedelta(minutes=37 * i + 25)
        comments.append(
            f'<li id="comment-{post + i}" class="comment depth-1"><article class="comment-body">'
            f'<footer class="comment-meta"><b class="fn">{esc(who)}</b> <span class="says">'
            f'{esc(s["says"])}</span> <time>{when:%Y-%m-%d %H:%M}</time></footer><div '
            f'class="comment-content"><p>{esc(text)}</p></div><div class="reply"><a href='
            f'"#comment-{post + i}">{esc(s["reply"])}</a></div></article></li>')

    def teaser(x):
        return (f'<div class="wp-block-group read-also"><p><strong>{esc(s["read_also"])}:</strong>'
                f'</p><ul><li><a href="{attr(x["path"])}">{esc(x["title"])}</a></li></ul></div>')

    caption = r.choice(s['captions'])
    if amp:
        html_tag, thumb = f'<html ⚡ lang="{a["lang"]}">', (
            f'<amp-img src="/images/{post}.jpg" width="960" height="540" layout="responsive" '
            f'alt="{attr(caption)}"></amp-img>')
        extra = ('<script async src="https://cdn.ampproject.org/v0.js"></script>\n'
                 '<style amp-boilerplate>body{visibility:hidden}</style>\n')
        scripts = AMP_ANALYTICS
    else:
        html_tag, thumb = f'<html lang="{a["lang"]}">', (
            f'<img src="/images/{post}.jpg" class="wp-post-image" width="960" height="540" alt="">')
        extra = ('<script>window._wpemojiSettings={"baseUrl":'
                 '"https://s.w.org/images/core/emoji/15.0.3/72x72/"};</script>\n')
        scripts = analytics(p) + app_state(p, o[:6])
    cat = r.choice(s['tag_pool'])
    tag_list = tags(p, 'tags-links')
    page = (f'<!DOCTYPE html>\n{html_tag}\n' + head(p, '<meta charset="UTF-8">', ld + extra)
            + f'<body class="post-template-default single single-post postid-{post}">\n'
            '<div id="page" class="site">\n' + cookie_banner(p) + nav(p)
            + '<div id="content" class="site-content"><div id="primary" class="content-area">'
            '<main id="main" class="site-main">\n'
            f'<article id="post-{post}" class="post-{post} post type-post status-publish '
            f'format-standard has-post-thumbnail hentry category-{slugify(cat)}">\n'
            f'<header class="entry-header"><h1 class="entry-title">{esc(a["title"])}</h1><div '
            f'class="entry-meta"><span class="posted-on"><time class="entry-date published" '
            f'datetime="{p.time.isoformat()}">{p.time:%B %d, %Y}</time></span> <span '
            f'class="byline">{byline(p)}</span></div></header>\n<div class="post-thumbnail">'
            f'{thumb}<p class="wp-caption-text">{esc(caption)}</p></div>\n'
            '<div class="entry-content">\n' + with_read_also(body_chunks(a), o[:1], teaser) + '\n'
            + share(p, 'sharedaddy sd-sharing-enabled')
            + related(p, o[1:4], True, 'class="jp-relatedposts" id="jp-relatedposts"')
            + f'</div>\n<footer class="entry-footer"><span class="cat-links">{esc(cat)}</span> '
            f'{tag_list}</footer>\n</article>\n<nav class="navigation post-navigation">'
            f'<div class="nav-previous"><a href="{attr(o[0]["path"])}" rel="prev">'
            f'{esc(o[0]["title"])}</a></div><div class="nav-next"><a href="{attr(o[1]["path"])}" '
            f'rel="next">{esc(o[1]["title"])}</a></div></nav>\n<div id="comments" '
            f'class="comments-area"><h2 class="comments-title">'
            f'{esc(s["comments"].format(n=len(comments)))}</h2><ol class="comment-list">'
            f'{"".join(comments)}</ol><div id="respond" class="comment-respond"><h3>'
            f'{esc(s["leave"])}</h3><form action="/wp-comments-post.php" method="post"><textarea '
            'name="comment"></textarea><input type="submit"></form></div></div>\n</main></div>\n'
            '<aside id="secondary" class="widget-area">'
            + most_read(p, o[:6], 'widget widget_recent_entries most-read') + '</aside></div>\n'
            + footer(p, ' id="colophon"') + '</div>\n' + scripts + '</body>\n</html>\n')
    return page, {'jsonld': 'no-articleBody', 'amp': amp, 'comments': len(comments)}


def shape_none(p, o):
    """(d) Reuters/AP-like, no markers: nested divs with hashed classes; the body is only the
    densest run of paragraphs. Promos between paragraphs, a credit line after them, teasers
    with ledes; the app state sometimes holds the body."""
    r, a, s, c = p.r, p.a, p.s, p.c
    div_paras = r.random() < 0.35
    ptag = f'<div class="{c("para")}">' if div_paras else f'<p class="{c("para")}">'
    chunks = body_chunks(a, ptag)

    def promo(x):
        return (f'<div class="{c("inline-promo")}"><span>{esc(s["read_also"])}</span>'
                f'<a href="{attr(x["path"])}">{esc(x["title"])}</a></div>')

    depth = r.randint(2, 4)
    authors = r.sample(s['authors'], 2)
    has_ld = r.random() < 0.5
    ld = jsonld(p, news_article(p)) if has_ld else ''
    content = {'headline': a['title']}
    if r.random() < 0.5:
        content['body'] = paragraphs(a)
    state = {'content': content,
             'related': [{'title': x['title'], 'description': x['summary']} for x in o[:6]]}
    page = (f'<!DOCTYPE html>\n<html lang="{a["lang"]}">\n' + head(p, '<meta charset="utf-8">', ld)
            + f'<body><div id="root"><div class="{c("app")}">\n' + cookie_banner(p) + nav(p)
            + f'<div class="{c("layout")}"><div class="{c("main-col")}">\n<div class="{c("hd")}">'
            f'<h1 class="{c("title")}">{esc(a["title"])}</h1><div class="{c("info")}">'
            f'{byline(p)} · {p.time:%B %d, %Y %I:%M %p} UTC</div></div>\n'
            + figure(p, r.choice(s['captions'])) + share(p)
            + ''.join(f'<div class="{c("wrap" + str(i))}">' for i in range(depth)) + '\n'
            + with_read_also(chunks, o[:2], promo) + '\n'
            + f'<div class="{c("credit")}">{esc(s["credits"].format(a=authors[0], b=authors[1]))}'
            '</div>\n' + '</div>' * depth + '\n' + related(p, o[2:6], excerpts=True) + '</div>\n'
            + most_read(p, o[:6]) + '</div>\n' + footer(p) + '</div></div>\n' + analytics(p)
            + '<script>window.Fusion=window.Fusion||{};Fusion.globalContent='
            + script_json(state) + ';</script>\n</body>\n</html>\n')
    return page, {'jsonld': 'no-articleBody' if has_ld else 'none',
                  'paragraphs': 'div' if div_paras else 'p', 'nesting': depth}


RENDER = {'jsonld': shape_jsonld, 'itemprop': shape_itemprop, 'article': shape_article,
          'none': shape_none}


# --- feeds -----------------------------------------------------------------------------------
# items: dicts with title, link, guid, permalink, date, lede, outlet (its name), source (its
# feed's URL), tag_host, guid_is_link; newest first.

def rss(name, feed_url, base, lang, items, encoding='utf-8', aggregator=False):
    """RSS 2.0. Ledes plain, CDATA-wrapped HTML or entity-escaped HTML (one way per feed); the
    aggregator's items are Google-News-like: "Title - Outlet", a link and the outlet's name."""
    style = rng_for('lede', name).choice(['plain', 'cdata', 'html'])
    if encoding != 'utf-8' and style == 'cdata':
        style = 'html'  # CDATA cannot hold the character references a legacy charset needs
    out = [f'<?xml version="1.0" encoding="{encoding}"?>',
           '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
           f'<title>{attr(name)}</title><link>{attr(base)}/</link><description>{attr(name)}'
           f'</description><language>{lang}</language><lastBuildDate>'
           f'{email.utils.format_datetime(items[0]["date"])}</lastBuildDate>',
           f'<atom:link href="{attr(feed_url)}" rel="self" type="application/rss+xml"/>']
    for it in items:
        date = it['date'].astimezone(MSK) if lang == 'ru' else it['date']
        title, lede = it['title'], it['lede']
        if aggregator:
            title = f'{it["title"]} - {it["outlet"]}'
            desc = attr(f'<a href="{attr(it["link"])}" target="_blank">{esc(it["title"])}</a>'
                        f'&nbsp;&nbsp;<font color="#6f6f6f">{esc(it["outlet"])}</font>'
                        + (f'<p>{esc(lede)}</p>' if lede else ''))
            guid = (f'<guid isPermaLink="false">{it["guid"]}</guid>'
                    f'<source url="{attr(it["source"])}">{attr(it["outlet"])}</source>')
        else:
            if style == 'cdata' and ']]>' not in lede:
                desc = f'<![CDATA[<p>{esc(lede)}</p>]]>'
            else:
                desc = attr(f'<p>{esc(lede)}</p>' if style != 'plain' else lede)
            guid = (f'<guid>{attr(it["permalink"])}</guid>' if it['guid_is_link']
                    else f'<guid isPermaLink="false">{it["guid"]}</guid>')
        desc = f'<description>{desc}</description>' if lede or aggregator else ''  # headline only
        out.append(f'<item><title>{attr(title)}</title><link>{attr(it["link"])}</link>{guid}'
                   f'<pubDate>{email.utils.format_datetime(date)}</pubDate>{desc}</item>')
    out.append('</channel></rss>\n')
    return '\n'.join(out).encode(encoding, 'xmlcharrefreplace')


def iso(date):
    return date.strftime('%Y-%m-%dT%H:%M:%SZ')


def atom(name, feed_url, base, lang, items):
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">',
           f'<title>{attr(name)}</title><id>{attr(base)}/</id><updated>{iso(items[0]["date"])}'
           f'</updated><link rel="self" href="{attr(feed_url)}"/><link rel="alternate" '
           f'type="text/html" href="{attr(base)}/"/>']
    for it in items:
        summary = (f'<summary type="html">{attr("<p>" + esc(it["lede"]) + "</p>")}</summary>'
                   if it['lede'] else '')
        out.append(f'<entry><title>{attr(it["title"])}</title><link rel="alternate" '
                   f'type="text/html" href="{attr(it["link"])}"/><id>tag:{it["tag_host"]},'
                   f'{NOMINAL:%Y-%m-%d}:{it["guid"]}</id><published>{iso(it["date"])}</published>'
                   f'<updated>{iso(it["date"])}</updated>{summary}<author><name>{attr(name)}'
                   '</name></author></entry>')
    out.append('</feed>\n')
    return '\n'.join(out).encode('utf-8')


def json_feed(name, feed_url, base, lang, items):
    doc = {'version': 'https://jsonfeed.org/version/1.1', 'title': name, 'language': lang,
           'home_page_url': base + '/', 'feed_url': feed_url,
           'items': [{'id': it['guid'], 'url': it['link'], 'title': it['title'],
                      'summary': it['lede'],
                      'content_html': f'<p>{esc(it["lede"])}</p>' if it['lede'] else '',
                      'date_published': iso(it['date'])} for it in items]}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + '\n').encode('utf-8')


# --- main ------------------------------------------------------------------------------------

def load(path, split):
    arts = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith('#'):
                a = json.loads(line)
                if split == 'all' or a['split'] == split:
                    arts.append(dict(a, outlet=a['feed']))
    return arts


def plan(arts, base):
    """Decides, per article: shape, outlet name and feed format, URL path, whether the
    aggregator carries it too, its age and the other articles its page shows."""
    # Shapes: in hash order the articles of each split take a, b, c, d in turn, a quarter each
    # (per split, so that an article has the same shape whichever --split is asked for).
    for split in {a['split'] for a in arts}:
        ranked = sorted((a for a in arts if a['split'] == split),
                        key=lambda a: digest('shape', a['id']))
        for i, a in enumerate(ranked):
            a['shape'] = SHAPES[i % 4]
    # Ten go out twice: five whose key fact is only in the body (the fetch matters), five others.
    by_hash = sorted(arts, key=lambda a: digest('dup', a['id']))
    dups = {a['id'] for a in [a for a in by_hash if a['evidence'] == 'body'][:5]
            + [a for a in by_hash if a['evidence'] != 'body'][:5]}
    seen = set()
    for a in arts:
        style = 'wp' if a['lang'] == 'en' else 'runews'
        default = (NAMES.get(a['outlet'], a['outlet']), style, 'rss')
        a['name'], style, a['fmt'] = OUTLETS.get(a['outlet'], default)
        a['duplicated'] = a['id'] in dups
        a['age'] = datetime.timedelta(minutes=5 + int(digest('age', a['id'])[:6], 16) % 170)
        # Two stories under one slug (a shared headline, or its first words): "-2", as WordPress.
        path = a['path'] = page_path(a, style)
        stem, suffix = re.fullmatch(r'(.*?)(\.html|\.shtml|/)?', path).groups()
        n = 1
        while a['path'] in seen:
            n += 1
            a['path'] = f'{stem}-{n}{suffix or ""}'
        seen.add(a['path'])
        a['links'] = [(a['outlet'], base + a['path'] + tracking(a, 'outlet'))]
        if a['duplicated']:
            a['links'].append(('aggregator', base + a['path'] + tracking(a, 'aggregator')))
    # Other articles for the furniture: the same outlet's first, then the same language's.
    for a in arts:
        r = rng_for('others', a['id'])
        same = [o for o in arts if o['outlet'] == a['outlet'] and o['title'] != a['title']]
        rest = [o for o in arts if o['outlet'] != a['outlet'] and o['lang'] == a['lang']
                and o['title'] != a['title']]
        r.shuffle(same)
        r.shuffle(rest)
        a['others'] = same[:8] + rest[:max(0, 8 - len(same))]
    return len(dups)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('articles')
    ap.add_argument('outdir')
    ap.add_argument('base_url')
    ap.add_argument('--split', choices=['tune', 'held-out', 'all'], default='all')
    args = ap.parse_args()
    base = args.base_url.rstrip('/')
    arts = load(args.articles, args.split)
    if not arts:
        raise SystemExit('no articles for split ' + args.split)
    ndups = plan(arts, base)
    for sub in ('feeds', 'site'):  # only what this script writes
        shutil.rmtree(os.path.join(args.outdir, sub), ignore_errors=True)
        os.makedirs(os.path.join(args.outdir, sub))

    manifest = {}
    for a in arts:
        page, details = RENDER[a['shape']](Page(a, base), a['others'])
        encoding = details.pop('encoding', 'utf-8')
        rel = 'site' + a['path'] + ('index.html' if a['path'].endswith('/') else '')
        os.makedirs(os.path.dirname(os.path.join(args.outdir, rel)), exist_ok=True)
        with open(os.path.join(args.outdir, rel), 'wb') as f:
            f.write(page.encode(encoding, 'xmlcharrefreplace'))
        manifest[a['id']] = {
            'id': a['id'], 'outlet': a['outlet'], 'split': a['split'], 'evidence': a['evidence'],
            'watches': a['watches'], 'lang': a['lang'], 'genre': a['genre'], 'shape': a['shape'],
            'page_path': a['path'], 'file': rel, 'encoding': encoding,
            'canonical_url': base + a['path'], 'details': details,
            'feeds': [], 'links': [link for _, link in a['links']]}

    # One feed per outlet and the aggregator's, each newest first.
    ext = {'rss': 'xml', 'rss1251': 'xml', 'atom': 'atom', 'json': 'json'}
    feeds = {}
    for a in arts:
        for feed, link in a['links']:
            feeds.setdefault(feed, []).append((a, link))
    lines, now = [], datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    for feed in sorted(feeds, key=lambda f: (f == 'aggregator', f)):
        members = sorted(feeds[feed], key=lambda al: al[0]['age'])
        first, aggregator = members[0][0], feed == 'aggregator'
        fmt = 'rss' if aggregator else first['fmt']
        fname = f'{feed}.{ext[fmt]}'
        url = f'{base}/feeds/{fname}'
        items = []
        for a, link in members:
            # The aggregator picks a story up a few minutes after its outlet.
            date = now - a['age'] + datetime.timedelta(minutes=3 if aggregator else 0)
            items.append({'title': a['title'], 'link': link, 'permalink': base + a['path'],
                          'date': date, 'guid': digest('guid', feed, a['id'])[:16],
                          'lede': a['summary'], 'outlet': a['name'],
                          'source': f'{base}/feeds/{a["outlet"]}.{ext[a["fmt"]]}',
                          'tag_host': a['outlet'] + '.example',
                          'guid_is_link': int(digest('g', feed)[:2], 16) % 2 == 0})
            manifest[a['id']]['feeds'].append(fname)
        items.sort(key=lambda it: it['date'], reverse=True)
        name = 'News aggregator: top stories' if aggregator else first['name']
        langs = [a['lang'] for a, _ in members]  # mixed outlets: the language of most items
        lang = 'en' if aggregator else max(sorted(set(langs)), key=langs.count)
        if fmt == 'atom':
            data = atom(name, url, base, lang, items)
        elif fmt == 'json':
            data = json_feed(name, url, base, lang, items)
        else:
            encoding = 'windows-1251' if fmt == 'rss1251' else 'utf-8'
            data = rss(name, url, base, lang, items, encoding, aggregator)
        with open(os.path.join(args.outdir, 'feeds', fname), 'wb') as f:
            f.write(data)
        lines.append(f'{feed}\t/feeds/{fname}\n')

    with open(os.path.join(args.outdir, 'feeds.txt'), 'w', encoding='utf-8') as f:
        f.writelines(lines)
    with open(os.path.join(args.outdir, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(list(manifest.values()), f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'{len(arts)} articles, {len(lines)} feeds, {ndups} in two feeds: {args.outdir}')


if __name__ == '__main__':
    main()
