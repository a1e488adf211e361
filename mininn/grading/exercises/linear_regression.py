"""Graded exercises of this chapter: being written."""

EXERCISES: list = []
