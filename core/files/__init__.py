"""Files a municipality uploads (evidence of progress): their rows, their bytes' store."""
