"""The bad-input corpus: real-world bad files and settings, each with the answer kam must give.

Files are generated here from a small valid workspace rather than committed as binary blobs:
each :class:`Case` changes one file or one setting, names the command a user would type and
the outcome expected (exit code and the exact problem text, or the repair that is reported).
"""
