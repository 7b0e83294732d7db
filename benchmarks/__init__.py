"""Speed and memory of the product against peer link checkers."""
