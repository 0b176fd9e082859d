"""The cost core (issue 11): where spending comes from (`sync`, `model`, manual records in
`records`), what things cost (`catalogue`: prices and free-tier allowances shipped as package
data), and the one aggregation every face and budget reads (`aggregate`). Amounts are integer
millionths of a currency (`money`) until a face shapes them."""
