"""Settings, database, tables, time, templates and shipped files: what every stage stands on."""
