-- What an activity line concerns, so the desk can name it and link to it.
ALTER TABLE activity ADD COLUMN target_kind TEXT;
ALTER TABLE activity ADD COLUMN target_id TEXT;

-- Scheduled publications named their piece by its id until now.
UPDATE activity
SET target_kind = 'story', target_id = subject,
    subject = (SELECT headline FROM stories WHERE stories.id = activity.subject)
WHERE action = 'published on schedule' AND subject IN (SELECT id FROM stories);
UPDATE activity
SET target_kind = 'brief', target_id = subject,
    subject = (SELECT headline FROM briefs WHERE briefs.id = activity.subject)
WHERE action = 'published on schedule' AND subject IN (SELECT id FROM briefs);
