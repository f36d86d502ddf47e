"""Partners: the parties the merchant deals with (customers, suppliers, carriers), its stores and employees."""
