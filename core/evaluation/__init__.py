"""Evaluation: frameworks applied to a plan or a commitment, rated per criterion."""
