// Ghost's official JavaScript clients, unchanged, against a running Masthead.
// Run by tests/integration/api.rs with MASTHEAD_URL, CONTENT_KEY, ADMIN_KEY
// and IMAGE (a PNG to upload). Exits non-zero at the first check that fails.
import assert from 'node:assert/strict';
import GhostContentAPI from '@tryghost/content-api';
import GhostAdminAPI from '@tryghost/admin-api';

const url = process.env.MASTHEAD_URL;
const content = new GhostContentAPI({url, key: process.env.CONTENT_KEY, version: 'v5.0'});
const admin = new GhostAdminAPI({url, key: process.env.ADMIN_KEY, version: 'v5.0'});
const checks = [];
const check = async (name, fn) => {
    await fn();
    checks.push(name);
};

await check('posts.browse with include, filter, limit, page and order', async () => {
    const first = await content.posts.browse({limit: 4, include: 'tags,authors', order: 'published_at desc'});
    assert.equal(first.length, 4);
    assert.equal(first.meta.pagination.page, 1);
    assert.equal(first.meta.pagination.limit, 4);
    assert.ok(first.meta.pagination.total > 8);
    for (const post of first) {
        assert.ok(post.primary_tag && post.primary_tag.slug, 'a primary tag');
        assert.ok(post.primary_author && post.primary_author.name, 'a primary author');
    }
    const dates = first.map(p => Date.parse(p.published_at));
    assert.deepEqual([...dates].sort((a, b) => b - a), dates, 'newest first');
    const second = await content.posts.browse({limit: 4, page: 2});
    assert.equal(second.meta.pagination.prev, 1);
    assert.ok(!second.some(p => first.some(f => f.id === p.id)), 'page 2 goes on from page 1');
    const europe = await content.posts.browse({limit: 'all', filter: 'tag:europe', include: 'tags'});
    assert.ok(europe.length > 0);
    assert.ok(europe.every(p => p.tags.some(t => t.slug === 'europe')));
    const featured = await content.posts.browse({filter: 'featured:true+tag:-europe', include: 'tags'});
    assert.ok(featured.every(p => p.featured && !p.tags.some(t => t.slug === 'europe')));
    const titles = (await content.posts.browse({limit: 'all', order: 'title asc', fields: 'title'})).map(p => p.title);
    assert.deepEqual([...titles].sort(), titles);
});

await check('posts.read by id and by slug', async () => {
    const [post] = await content.posts.browse({limit: 1});
    const bySlug = await content.posts.read({slug: post.slug}, {formats: 'html,plaintext'});
    assert.equal(bySlug.id, post.id);
    assert.ok(bySlug.plaintext.length > 0);
    const byId = await content.posts.read({id: post.id});
    assert.equal(byId.slug, post.slug);
    await assert.rejects(content.posts.read({slug: 'no-such-story'}), e => e.name === 'NotFoundError');
});

await check('tags, authors, pages and settings', async () => {
    const tags = await content.tags.browse({limit: 'all', include: 'count.posts'});
    assert.ok(tags.some(t => t.slug === 'europe' && t.count.posts > 0));
    const tag = await content.tags.read({slug: 'europe'});
    assert.equal(tag.slug, 'europe');
    const authors = await content.authors.browse({include: 'count.posts'});
    assert.ok(authors.length > 0 && authors[0].count.posts >= 0);
    const author = await content.authors.read({slug: authors[0].slug});
    assert.equal(author.id, authors[0].id);
    const pages = await content.pages.browse();
    assert.ok(pages.some(p => p.slug === 'about'));
    const settings = await content.settings.browse();
    assert.equal(settings.title, 'The Meridian');
});

await check('newsletters and tiers', async () => {
    const newsletters = await content.newsletters.browse();
    assert.ok(newsletters.some(n => n.slug === 'weekly' && n.name), 'the weekly round-up');
    assert.ok(newsletters.every(n => !('sender_email' in n)), 'senders stay private');
    const tiers = await content.tiers.browse();
    assert.deepEqual(tiers.map(t => [t.slug, t.type, t.active]), [['free', 'free', true]]);
});

await check("popular tags and authors, and Ghost's default orders", async () => {
    const descending = list => list.every((n, i) => i === 0 || list[i - 1] >= n);
    const popular = await content.tags.browse({limit: 'all', order: 'count.posts desc', include: 'count.posts'});
    assert.ok(popular.length > 3 && descending(popular.map(t => t.count.posts)), 'tags by stories, most first');
    const prolific = await content.authors.browse({limit: 'all', order: 'count.posts desc', include: 'count.posts'});
    assert.ok(descending(prolific.map(a => a.count.posts)), 'authors by stories, most first');
    const ascending = list => list.every((n, i) => i === 0 || list[i - 1] <= n);
    const pages = await content.pages.browse({limit: 'all'});
    assert.ok(pages.length > 1 && ascending(pages.map(p => p.title)), 'pages by title');
    const tags = await content.tags.browse({limit: 'all'});
    assert.ok(ascending(tags.map(t => t.name)), 'tags by name, sections among them');
});

await check("excerpts follow Ghost's rule", async () => {
    const posts = await content.posts.browse({limit: 'all', formats: 'plaintext'});
    const pages = await content.pages.browse({limit: 'all', formats: 'plaintext'});
    assert.ok(posts.some(p => p.custom_excerpt), 'the demo has deks');
    for (const piece of [...posts, ...pages]) {
        if (piece.custom_excerpt) {
            assert.equal(piece.excerpt, piece.custom_excerpt, piece.slug);
        } else {
            assert.ok(piece.excerpt.length > 0 && piece.excerpt.length <= 500, piece.slug);
            assert.ok(piece.plaintext.trim().startsWith(piece.excerpt), piece.slug);
        }
    }
});

await check("authors carry Ghost's social fields", async () => {
    const authors = await content.authors.browse({limit: 'all'});
    const fields = ['website', 'twitter', 'facebook', 'threads', 'bluesky', 'mastodon', 'linkedin', 'instagram', 'youtube', 'tiktok'];
    for (const author of authors) {
        for (const field of fields) {
            assert.ok(field in author, `${author.slug} has ${field}`);
        }
    }
    const ines = authors.find(a => a.name === 'Ines Marlow');
    assert.equal(ines.website, 'https://ines.example.org');
    assert.equal(ines.twitter, null);
});

await check('every post and page has a primary author', async () => {
    const posts = await content.posts.browse({limit: 'all', include: 'authors'});
    const pages = await content.pages.browse({limit: 'all', include: 'authors'});
    for (const piece of [...posts, ...pages]) {
        assert.ok(piece.primary_author && piece.primary_author.url, `${piece.slug}: primary_author.url`);
        assert.ok(piece.authors.length > 0, `${piece.slug}: authors`);
        assert.equal(piece.primary_author.id, piece.authors[0].id);
    }
    const about = await content.pages.read({slug: 'about'}, {include: 'authors'});
    assert.ok(about.primary_author.name);
});

await check('briefs are the posts tagged #brief, and only when asked for', async () => {
    const briefs = await content.posts.browse({limit: 'all', filter: 'tag:hash-brief', include: 'tags,authors'});
    assert.equal(briefs.length, Number(process.env.PUBLIC_BRIEFS), 'every public brief');
    for (const brief of briefs) {
        assert.match(brief.url, /\/briefs\/[a-z0-9-]+\/$/, brief.url);
        assert.deepEqual(brief.tags.map(t => [t.slug, t.name, t.visibility]), [['hash-brief', '#brief', 'internal']]);
        assert.equal(brief.primary_tag, null, 'an internal tag is no primary tag');
        assert.ok(brief.primary_author && brief.primary_author.url, `${brief.slug}: primary_author`);
        assert.equal(brief.masthead.kind, 'brief');
        assert.ok(brief.html.length > 0 && brief.excerpt.length > 0);
    }
    const dates = briefs.map(p => Date.parse(p.published_at));
    assert.deepEqual([...dates].sort((a, b) => b - a), dates, 'newest first');
    // A list of posts that does not ask for briefs has none: a blog index
    // is not filled with one-paragraph items.
    const posts = await content.posts.browse({limit: 'all', include: 'tags'});
    assert.ok(posts.length > 0 && !posts.some(p => p.url.includes('/briefs/')));
    const notBriefs = await content.posts.browse({limit: 'all', filter: 'tag:-hash-brief'});
    assert.equal(notBriefs.length, posts.length);
    // Both at once, newest first: briefs and one section's stories.
    const mixed = await content.posts.browse({limit: 'all', filter: 'tag:[hash-brief,europe]', include: 'tags'});
    const europe = await content.posts.browse({limit: 'all', filter: 'tag:europe'});
    assert.equal(mixed.length, briefs.length + europe.length);
    const one = await content.posts.read({slug: briefs[0].slug}, {include: 'tags'});
    assert.equal(one.id, briefs[0].id);
    assert.equal((await content.posts.read({id: briefs[1].id})).slug, briefs[1].slug);
    // Briefs are changed in the desk, and the answer says so.
    await assert.rejects(
        admin.posts.edit({id: briefs[0].id, updated_at: briefs[0].updated_at, title: 'Changed'}),
        e => e.name === 'NotFoundError' && /desk/.test(e.message));
});

await check("a headless front-end's walk: every url answers 200 as itself and ends in /", async () => {
    const all = {limit: 'all', include: 'tags,authors'};
    const posts = await content.posts.browse(all);
    const briefs = await content.posts.browse({...all, filter: 'tag:hash-brief'});
    const pages = await content.pages.browse(all);
    const tags = await content.tags.browse({limit: 'all'});
    const authors = await content.authors.browse({limit: 'all'});
    const settings = await content.settings.browse();
    const urls = new Set([settings.url]);
    for (const piece of [...posts, ...briefs, ...pages]) {
        assert.equal(typeof piece.excerpt, 'string', `${piece.slug}: excerpt`);
        assert.ok(piece.excerpt.length > 0, `${piece.slug}: excerpt`);
        assert.ok(piece.primary_author, `${piece.slug}: primary_author`);
        for (const url of [piece.url, piece.primary_author.url, piece.primary_tag?.url]) {
            if (url) urls.add(url);
        }
        piece.authors.forEach(a => urls.add(a.url));
        piece.tags.forEach(t => urls.add(t.url));
    }
    [...tags, ...authors].forEach(t => urls.add(t.url));
    for (const item of settings.navigation) {
        const href = new URL(item.url, url).href;
        if (href.startsWith(url)) urls.add(href);
    }
    assert.ok(urls.size > posts.length + pages.length, `${urls.size} addresses`);
    for (const address of urls) {
        assert.ok(address.startsWith(url), `${address} is on the site`);
        assert.ok(new URL(address).pathname.endsWith('/'), `${address} ends in /`);
        const reply = await fetch(address, {redirect: 'manual'});
        assert.equal(reply.status, 200, `GET ${address}`);
        assert.match(reply.headers.get('content-type'), /^text\/html/, address);
        const html = await reply.text();
        assert.ok(html.includes(`<link rel="canonical" href="${address}">`), `${address} is its own canonical address`);
        // A link made without the slash reaches it in one permanent step.
        const path = new URL(address).pathname;
        if (path !== '/') {
            const bare = await fetch(address.replace(/\/$/, ''), {redirect: 'manual'});
            assert.equal(bare.status, 301, `GET ${address} without its slash`);
            assert.equal(bare.headers.get('location'), path);
        }
    }
});

await check('bad filters are errors the client can read', async () => {
    await assert.rejects(content.posts.browse({filter: 'tag:('}), e => e.name === 'BadRequestError' && /character/.test(e.message));
});

let added;
await check('posts.add with source html', async () => {
    added = await admin.posts.add({
        title: 'Lighthouse keepers return to Vell',
        html: '<p>After <em>forty years</em>, the light is tended again.</p><h2>Who</h2><p>Two volunteers.</p>',
        tags: [{name: 'Europe'}, {name: 'Lighthouses'}],
        status: 'published',
    }, {source: 'html'});
    assert.equal(added.status, 'published');
    assert.equal(added.primary_tag.slug, 'europe');
    assert.match(added.html, /<em>forty years<\/em>/);
    const seen = await content.posts.read({slug: added.slug});
    assert.equal(seen.id, added.id);
});

await check('posts.edit with a fresh updated_at, refused with a stale one', async () => {
    const edited = await admin.posts.edit({id: added.id, title: 'Lighthouse keepers return', updated_at: added.updated_at});
    assert.equal(edited.title, 'Lighthouse keepers return');
    await assert.rejects(
        admin.posts.edit({id: added.id, title: 'Stale copy', updated_at: added.updated_at}),
        e => e.name === 'UpdateCollisionError',
    );
    const read = await admin.posts.read({id: added.id});
    assert.equal(read.title, 'Lighthouse keepers return');
});

await check('images.upload', async () => {
    const image = await admin.images.upload({file: process.env.IMAGE, ref: 'keepers'});
    assert.match(image.url, /\/media\//);
    assert.equal(image.ref, 'keepers');
    const served = await fetch(image.url);
    assert.equal(served.status, 200);
    const withHero = await admin.posts.edit({
        id: added.id,
        feature_image: image.url,
        feature_image_alt: 'The lamp room',
        updated_at: (await admin.posts.read({id: added.id})).updated_at,
    });
    assert.equal(withHero.feature_image, image.url);
});

await check('tags, users and site through the Admin API', async () => {
    const tag = await admin.tags.add({name: 'Coastguard'});
    assert.equal(tag.slug, 'coastguard');
    const users = await admin.users.browse();
    assert.ok(users.length > 0);
    await admin.tags.delete({id: tag.id});
    const site = await admin.site.read();
    assert.equal(site.title, 'The Meridian');
    await admin.posts.delete({id: added.id});
    await assert.rejects(content.posts.read({id: added.id}), e => e.name === 'NotFoundError');
});

console.log(JSON.stringify({checks}));
