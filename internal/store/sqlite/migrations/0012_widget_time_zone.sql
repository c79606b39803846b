-- The time zone a widget's schedule is read in (an IANA name).
ALTER TABLE widget_settings ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
