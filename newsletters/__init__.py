"""From the federation's content feed to rendered newsletter issues."""
