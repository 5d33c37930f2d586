-- 0006: placeholder reserved for the outputs work; replaced by its DDL.
SELECT 1;
