// Replaced by the importer sources.
