-- Every rate limit (sign-ins, newsletter sign-ups, contributors' uploads)
-- counts in one table: a row per limited subject and window, incremented
-- by one atomic upsert that also says the count, so simultaneous attempts
-- can never all pass (an attempt is reserved before it is checked).
-- `subject` names the limit and who it limits ("sign-in:client:203.0.113.9").
CREATE TABLE throttles (
    subject TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (subject, window_start)
);
CREATE INDEX throttles_window ON throttles (window_start);

-- The counts they replace (each counted, then checked, apart).
DROP TABLE login_failures;
DROP TABLE signup_attempts;
