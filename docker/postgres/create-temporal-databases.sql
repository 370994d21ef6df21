-- Runs once, when the postgresql service initializes an empty data volume: Temporal keeps its
-- histories in "temporal" (POSTGRES_DB) and its visibility records in "temporal_visibility".
CREATE DATABASE temporal_visibility;
