"""The workbook's notebook tooling: the single-source format, the release step (solutions -> labs) and the autograder."""
