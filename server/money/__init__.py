"""Money: currencies and dated exchange rates, taxes and their rounding, sales price lists and supplier prices."""
