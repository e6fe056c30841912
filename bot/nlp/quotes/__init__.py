"""Direct quotations and who said them: quote marks, speech cues, speakers, names, roles."""
