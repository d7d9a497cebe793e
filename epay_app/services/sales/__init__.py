"""Sales: the order and its deposit (checkout), order and offer views, stock, outcomes, customers, PDFs."""
