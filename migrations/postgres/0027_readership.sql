-- Readership, counted without cookies (services/readership.rs).
--
-- Totals by day and by month (`grain`), for the whole site and by page,
-- section, referring site and newsletter sign-up source (`dimension`).
-- `period` is a day (days since 1970-01-01 in the site's time zone) or a
-- month (year * 12 + month - 1). `piece` is the story or brief a row is
-- about ('' for anything else), so an author's view can pick their own.
-- Several instances add their counts with one upsert each.
CREATE TABLE readership_totals (
    grain TEXT NOT NULL,
    dimension TEXT NOT NULL,
    period BIGINT NOT NULL,
    item TEXT NOT NULL,
    piece TEXT NOT NULL,
    views BIGINT NOT NULL,
    visitors BIGINT NOT NULL,
    PRIMARY KEY (grain, dimension, period, item, piece)
);
CREATE INDEX readership_totals_piece ON readership_totals (piece, grain, period)
    WHERE piece <> '';

-- The raw records: which anonymous visitor (a hash of address, browser
-- and site with the day's salt) has been counted on a page ('' for the
-- site) that day. They make a visitor count once a day, on every instance
-- alike, and are deleted once older than the site's retention setting;
-- the totals above keep what they counted.
CREATE TABLE readership_visits (
    day BIGINT NOT NULL,
    scope TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, scope, visitor)
);

-- Each day's salt, shared by every instance, deleted when the day is over
-- (after which nobody can tell whose hash was whose).
CREATE TABLE readership_salts (
    day BIGINT PRIMARY KEY,
    salt TEXT NOT NULL
);
