"""RECIST 1.1 and Choi: pure functions from measurements to responses, each with its reasons."""
