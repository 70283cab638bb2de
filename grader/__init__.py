"""The workbook's notebook tooling: the release step (solutions -> labs) and, later, the autograder."""
